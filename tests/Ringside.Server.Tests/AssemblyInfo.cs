// Server tests start whole servers that train networks: run them one at a time so they do not fight over 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
