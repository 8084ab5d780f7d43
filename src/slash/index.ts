/**
 * Slash commands (`/mcp ...`, brief §4.6). The integrator mounts the router at
 * /slash (role mcp), runs the worker (role worker), and lists the tool in the
 * inventory:
 *
 *   const followups = new SlashFollowups(services.redis, services.keys);
 *   app.use('/slash', createSlashRouter(services, { followups }));
 *   const worker = createSlashWorker(services, { followups });
 *   // shutdown: await worker.close(); await followups.close();
 */
export { createSlashRouter, dispatch, type SlashRouterDeps } from './router';
export { createSlashWorker, SlashFollowups, SLASH_QUEUE, type SlashWorkerOptions } from './followups';
export { respondToCommand, respondToCommandTools } from './respond-tool';
export { COMMANDS, findCommand, helpText, autocompleteData, autocompleteHint } from './commands';
export { slashEnv, type SlashEnv, type FollowupEnqueuer, type FollowupJob } from './context';
export { parseSlashForm, decodeSlashForm, validateSlashForm, encodeSlashForm, type SlashForm } from './form';
export { CommandTasks, type CommandTask } from './tasks';
