"""Entry point of the standalone bundle (PyInstaller): the same `neuralos` command line."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()      # `neuralos data` renders in worker processes
    from neuralos.cli import main

    sys.exit(main())
