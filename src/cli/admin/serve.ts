/** `joblet serve`: run the daemon until SIGTERM/SIGINT. */
import { Option } from 'clipanion';
import { BaseCommand } from '../base';

/** The daemon command. */
export class ServeCommand extends BaseCommand {
  static override paths = [['serve']];
  static override usage = BaseCommand.Usage({
    description: 'Run the joblet daemon',
    details: 'Loads the server config (--config, else $JOBLET_CONFIG_PATH, /opt/joblet/config/joblet-config.yml, ./joblet-config.yml, /etc/joblet/joblet-config.yml) and serves jobs over mutual TLS until stopped with SIGTERM or SIGINT. Must run as root.',
  });

  configPath = Option.String('--config', { description: 'Server config file' });

  async run(): Promise<number> {
    // Lazy: the daemon (and koffi) load only for this command.
    const { runDaemon } = require('../../daemon/main') as typeof import('../../daemon/main');
    return runDaemon(this.configPath, this.context.stderr);
  }
}
