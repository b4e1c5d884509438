# Plots one bench/pressure/cpu.sh run (its CSV): k-means iterations per
# second (top) and the partitions moved off the antagonist's node (bottom).
# gnuplot -e "csv='cpu-nu.csv'; png='cpu-nu.png'; at=8; title='nu'" cpu.gp
set datafile separator ","
set terminal pngcairo size 1000,600 font ",10"
set output png
set multiplot layout 2,1 title sprintf("%s: the antagonist starts at %g s", title, at)
set key top right
set xlabel "seconds of k-means"
set arrow 1 from at, graph 0 to at, graph 1 nohead dt 2 lc rgb "#444444"
set yrange [0:*]
set ylabel "iterations per second"
plot csv using 1:2 every ::1 with steps lw 2 lc rgb "#d62728" title "k-means"
set ylabel "partitions moved off node a"
plot csv using 1:3 every ::1 with steps lw 2 lc rgb "#2ca02c" title "moves"
unset multiplot
