# Plots the kvstore demo's CSV (nu-kvstore-load --csv) as the Nu paper's
# Figure 7: latency on top, each node's RSS below, the squeeze marked.
#
# gnuplot -e "csv='x.csv'; png='x.png'; nodes=3; squeezed=3; labels='1 2 3';
#             squeeze=15; limit=42; mig_from=15; mig_to=19" plot.gp
# squeeze < 0: no squeeze; limit (MiB) <= 0: no limit line; mig_to <= mig_from:
# no migration band.

set terminal pngcairo size 1000,700 font "Sans,10"
set output png
set datafile separator ","
set key autotitle columnhead
set grid ytics lc rgb "#dddddd"
set xrange [0:*]
set offsets 0, 0, graph 0.3, 0 # headroom above the lines for the keys
set lmargin 10
set rmargin 12

if (mig_to > mig_from) {
  set object 1 rect from mig_from, graph 0 to mig_to, graph 1 \
    fc rgb "#f2e6c9" fs solid 1.0 noborder behind
}
if (squeeze >= 0) {
  set arrow 1 from squeeze, graph 0 to squeeze, graph 1 nohead \
    lc rgb "#555555" dt 2 lw 1.5
}

set multiplot layout 2,1 title \
  sprintf("nu-kvstore: node %s squeezed to %.0f MiB at t=%.0f s while under load", \
          word(labels, squeezed), limit, squeeze)

set ylabel "latency (ms, log scale)"
set y2label "ops/s"
set ytics nomirror
set y2tics
set logscale y
set yrange [*:*]
set format y "%g"
stats csv using 2 nooutput
set y2range [0:STATS_max * 1.4]
set format x ""
set key top left horizontal opaque box lc rgb "#ffffff"
if (squeeze >= 0) {
  set label 1 "squeeze" at squeeze, graph 0.72 offset 0.5,0 tc rgb "#555555"
}
plot csv using 1:4 with linespoints pt 7 ps 0.5 lw 2 lc rgb "#d62728" \
       title "p99", \
     csv using 1:3 with linespoints pt 7 ps 0.5 lw 2 lc rgb "#1f77b4" \
       title "p50", \
     csv using 1:2 axes x1y2 with lines lw 1 lc rgb "#999999" \
       title "ops/s (right)"

unset label 1
unset logscale y
set yrange [0:*]
if (mig_to > mig_from) {
  set label 3 "migrations" at mig_from, graph 0.06 offset 0.5,0 \
    tc rgb "#8a6d1f"
}
unset y2label
unset y2tics
set ytics mirror
set format x "%g"
set xlabel "time under load (s)"
set ylabel "RSS (MiB)"
set key top left horizontal opaque box lc rgb "#ffffff"
if (limit > 0) {
  set arrow 2 from graph 0, first limit to graph 1, first limit nohead \
    lc rgb "#d62728" dt 3 lw 1
  set label 2 sprintf("limit %.0f MiB", limit) at graph 0.01, first limit \
    offset 0,0.7 tc rgb "#d62728"
}
plot for [i=1:nodes] csv using 1:(column(5 + i)) with linespoints \
       pt 7 ps (i == squeezed ? 0.6 : 0.3) lw (i == squeezed ? 3 : 1.5) \
       title sprintf("node %s%s", word(labels, i), \
                     i == squeezed ? " (squeezed)" : "")
unset multiplot
