from vssd.cli import main

raise SystemExit(main())
