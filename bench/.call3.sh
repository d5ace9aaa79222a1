export LD_LIBRARY_PATH=/usr/local/cuda/lib64; B=.bundle/switchback; export LD_LIBRARY_PATH=$B/lib:$LD_LIBRARY_PATH
( timeout 120 $B/bin/cuda_kernels_test --gtest_brief=1 2>&1 | tail -3
  timeout 120 compute-sanitizer --tool memcheck --error-exitcode 9 $B/bin/cuda_kernels_test --gtest_filter='*Small4096x1024*:*Small1000x1337*:*Scratch*' 2>&1 | tail -2
  timeout 120 compute-sanitizer --tool racecheck --error-exitcode 9 $B/bin/cuda_kernels_test --gtest_filter='*Small1000x1337*:*Scratch*' 2>&1 | tail -2
  timeout 150 $B/bin/quantize_bench --variants; timeout 60 $B/bin/quantize_timeline ) > $OUT/quant.txt 2>&1
grep -q "PASSED  \] 51" $OUT/quant.txt || { echo "kernel tests failed"; head -20 $OUT/quant.txt; exit 1; }
BUNDLE=$B OUT=$OUT timeout 330 bench/run_device.sh tests > /dev/null 2>&1; echo tests rc=$?
cat $OUT/tests.txt | grep -v PASS; head -20 $OUT/quant.txt
