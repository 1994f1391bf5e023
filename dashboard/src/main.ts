import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { httpApi, httpClient } from './lib/api/client.ts';
import { connectLiveSocket } from './lib/api/socket.ts';
import { viewsApi } from './lib/api/views.ts';
import { Dashboard } from './lib/managers/dashboard.svelte.ts';
import { HashRouter } from './lib/managers/router.svelte.ts';
import { Session } from './lib/managers/session.svelte.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

let session: Session | undefined;
const client = httpClient({
  csrf: () => session?.csrf ?? null,
  // A 401 on any call means the session ended (expired, signed out elsewhere, password changed).
  onUnauthorized: (error) => session?.expire(error.code === 'ERR_SESSION_EXPIRED' ? 'Your session has expired; sign in again.' : 'You have been signed out; sign in again.'),
});
const views = viewsApi(client);
// With `--demo` the server shows the building's aggregate live view to anyone (a lobby display).
session = new Session(views, async () => Array.isArray(await client.get<unknown>('/api/sites')));
const socket = connectLiveSocket();
const signedIn = session;
const dashboard = new Dashboard({ api: httpApi({ client }), channel: socket, views, role: () => signedIn.role });
mount(App, { target, props: { dashboard, router: new HashRouter(), session, socket } });
