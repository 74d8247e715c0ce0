/** Every `rnx runtime` command, registered by rnx.ts in one line. */
import { RuntimeBuildCommand } from './runtime-build';
import { RuntimeInfoCommand } from './runtime-info';
import { RuntimeInstallCommand } from './runtime-install';
import { RuntimeListCommand } from './runtime-list';
import { RuntimeRemoveCommand } from './runtime-remove';
import { RuntimeTestCommand } from './runtime-test';
import { RuntimeValidateCommand } from './runtime-validate';

/** The runtime commands, in help order. */
export const RUNTIME_COMMANDS = [RuntimeListCommand, RuntimeInfoCommand, RuntimeInstallCommand, RuntimeTestCommand, RuntimeRemoveCommand, RuntimeBuildCommand, RuntimeValidateCommand];
