// ipclab-worker: one producer or consumer process. All logic is in ipccore (worker.h).
#include "ipccore/worker.h"

int main(int argc, char** argv)
{
    return ipccore::runWorkerMain(argc, argv);
}
