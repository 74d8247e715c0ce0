/** The monitoring commands, registered by rnx.ts in one line. */
import { JobMetricsCommand } from './commands/job-metrics';
import { MonitorStatusCommand } from './commands/monitor-status';
import { MonitorTopCommand } from './commands/monitor-top';
import { MonitorWatchCommand } from './commands/monitor-watch';

/** `rnx monitor status|top|watch` and `rnx job metrics`. */
export const MONITORING_COMMANDS = [MonitorStatusCommand, MonitorTopCommand, MonitorWatchCommand, JobMetricsCommand];
