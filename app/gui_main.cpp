// ipclab: the desktop app. All logic is in ipcui (ui/widgets/gui_app.h) so tests link it.
#include "widgets/gui_app.h"

int main(int argc, char** argv)
{
    return ipcui::runGuiMain(argc, argv);
}
