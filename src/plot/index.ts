// training-curve plots: one dependency-free svg a person can open in a browser or image viewer

export {
  renderHistorySvg,
  writeHistoryPlot,
  renderLineChart,
  renderPanel,
  layoutLineChart,
  chartBox,
  historyPanels,
  scaleX,
  scaleY,
  niceTicks,
  formatTick,
  movingAverage,
  downsample,
  escapeXml,
  MAX_PLOT_POINTS,
} from './svg.js';
export type {
  PlotHistory,
  PlotOptions,
  LossPoint,
  EpochPoint,
  Point,
  Series,
  LineChartSpec,
  Box,
  Axis,
  ChartLayout,
  HistoryPanels,
} from './svg.js';
