from qlr.cli import main

raise SystemExit(main())
