// One real server and one headless chromium for all tests, one test at a time: software WebGL is heavy on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
