// ipclab-cli: list, run and bench scenarios headless. All logic is in ipccore (cli.h).
#include "ipccore/cli.h"

int main(int argc, char** argv)
{
    return ipccore::runCliMain(argc, argv);
}
