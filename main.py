"""Run the workbench from a source checkout: ``python main.py`` (``--demo``: over the
embedded demo central CRM, as ``rm-workbench-demo``)."""

import sys

if __name__ == "__main__":
    if "--demo" in sys.argv[1:]:
        from rm_demo.cli import workbench_main

        sys.exit(workbench_main([a for a in sys.argv[1:] if a != "--demo"]))
    from rm_workbench.cli import main

    sys.exit(main())
