// The page's own period graphs: hand-drawn SVG (bridge/web/src/render/period-chart.ts), through the same cards.
import { chartAxis } from '../../bridge/web/src/render/period-chart.ts';
import { periodServerCards } from '../../bridge/web/src/render/period-servers.ts';
import { install } from './harness.mjs';

install((history) => periodServerCards(history.apps[0], chartAxis(history.from, history.to, history.bucket_ms)));
