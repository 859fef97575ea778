from bench.paging.run import main

raise SystemExit(main())
