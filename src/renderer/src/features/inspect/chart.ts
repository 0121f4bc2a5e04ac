// A Svelte action that draws an ECharts option with the SVG renderer (offline, no canvas, so the
// plots can be saved as SVG). Only the chart types the inspector uses are bundled.
import { init, use, type EChartsCoreOption } from 'echarts/core';
import { BarChart, HeatmapChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, HeatmapChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, SVGRenderer]);

export function chart(node: HTMLElement, option: EChartsCoreOption) {
  const c = init(node, undefined, { renderer: 'svg' });
  c.setOption(option);
  const resize = new ResizeObserver(() => c.resize());
  resize.observe(node);
  return {
    update(next: EChartsCoreOption) {
      c.setOption(next, true);
    },
    destroy() {
      resize.disconnect();
      c.dispose();
    },
  };
}
