#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createToolboxServer } from './toolbox.js';

// The toolbox over stdio: the gateway starts this process for the demo tenant's `toolbox` server.
await createToolboxServer().connect(new StdioServerTransport());
