/** Entry of the console's page: renders the app into the shell of index.html. */
import { render } from 'preact';
import { App } from './app';
import './style.css';
// uPlot's style sheet is tiny and goes into app.css; its code (charts.js) is loaded by the charts.
import 'uplot/dist/uPlot.min.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
