# Plots one bench/pressure run (nu-kvstore-load's CSV): p99.9 latency and
# the victim node's RSS over time (top), its migrations (bottom).
# gnuplot -e "csv='nu.csv'; png='nu.png'; at=8; title='nu'" plot.gp
set datafile separator ","
set terminal pngcairo size 1000,700 font ",10"
set output png
set multiplot layout 2,1 title sprintf("%s: the antagonist starts at %g s", title, at)
set key top left
set xlabel "seconds of load"
set arrow 1 from at, graph 0 to at, graph 1 nohead dt 2 lc rgb "#444444"
set logscale y
set ylabel "p99.9 latency (ms, log)"
set y2label "victim RSS (MiB)"
set y2tics
set ytics nomirror
plot csv using 1:15 every ::1 with lines lw 2 lc rgb "#d62728" title "p99.9", \
     csv using 1:8 every ::1 axes x1y2 with lines lw 1 lc rgb "#1f77b4" \
       title "victim RSS"
unset logscale y
unset y2tics
unset y2label
set ylabel "migrations from the victim"
plot csv using 1:14 every ::1 with steps lw 2 lc rgb "#2ca02c" title "moves"
unset multiplot
