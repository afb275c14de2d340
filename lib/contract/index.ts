/** The one contract shared by the extension and the server. */
export * from './common';
export * from './ticket';
export * from './events';
export * from './api';
export * from './stream';
export * from './extension';
export * from './selectors';
export * from './vocabulary';
export * from './bridge';
export * from './exports';
export * from './experiments';
export * from './identity';
export * from './finetune';
export * from './flywheel';
