/** Managers shared with components through Svelte context (typed, no string keys). */
import { createContext } from 'svelte';
import type { Dashboard } from './managers/dashboard.svelte.ts';
import type { HashRouter } from './managers/router.svelte.ts';
import type { Session } from './managers/session.svelte.ts';

export const [getDashboard, setDashboard] = createContext<Dashboard>();
export const [getRouter, setRouter] = createContext<HashRouter>();
export const [getSession, setSession] = createContext<Session>();
