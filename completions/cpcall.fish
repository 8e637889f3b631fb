complete --keep-order --exclusive --command cpcall --arguments "(COMPLETE=fish cpcall -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
