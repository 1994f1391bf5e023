// Entry of a SQLite reader thread (store/sqlite-reader.ts): a worker does not inherit the
// TypeScript loader of the thread that started it, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-reader.ts');
