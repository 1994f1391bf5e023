/** Runs the adapter contract against every adapter registered in devices/index.ts. */
import { ADAPTERS } from '../../devices/index.ts';
import { describeAdapterContract } from './adapter.contract.ts';

for (const adapter of ADAPTERS) describeAdapterContract(adapter);
