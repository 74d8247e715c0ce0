/**
 * uPlot, as its own file of the built console (charts.js): only pages that show a chart import it
 * (components/chart.tsx, on first use), so the jobs list and the forms never download it.
 */
export { default } from 'uplot';
