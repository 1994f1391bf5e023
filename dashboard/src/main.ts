import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { httpApi } from './lib/api/client.ts';
import { connectLiveSocket } from './lib/api/socket.ts';
import { Dashboard } from './lib/managers/dashboard.svelte.ts';
import { HashRouter } from './lib/managers/router.svelte.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

const dashboard = new Dashboard({ api: httpApi(), channel: connectLiveSocket() });
mount(App, { target, props: { dashboard, router: new HashRouter() } });
