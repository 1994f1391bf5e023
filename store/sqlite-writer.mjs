// Entry of the SQLite writer thread (store/sqlite-writer.ts): a worker does not inherit the
// TypeScript loader of the thread that started it, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-writer.ts');
