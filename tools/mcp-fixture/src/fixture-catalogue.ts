import type { GetPromptResult, Prompt, Resource, ResourceTemplate, TextResourceContents, BlobResourceContents } from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG_BASE64 } from './media.js';

export const RESOURCES: readonly Resource[] = [
  { uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource (1x1 PNG)', mimeType: 'image/png' },
  { uri: 'test://watched-resource', name: 'watched-resource', description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
];

export const RESOURCE_TEMPLATES: readonly ResourceTemplate[] = [
  { uriTemplate: 'test://template/{id}/data', name: 'template-data', description: 'Data for an id', mimeType: 'application/json' },
];

const TEMPLATE = /^test:\/\/template\/([^/]+)\/data$/;

export function readResource(uri: string): TextResourceContents | BlobResourceContents | undefined {
  switch (uri) {
    case 'test://static-text':
      return { uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' };
    case 'test://static-binary':
      return { uri, mimeType: 'image/png', blob: RED_PIXEL_PNG_BASE64 };
    case 'test://watched-resource':
      return { uri, mimeType: 'text/plain', text: 'Watched resource content.' };
  }
  const id = TEMPLATE.exec(uri)?.[1];
  if (id === undefined) return undefined;
  const decoded = decodeURIComponent(id);
  return { uri, mimeType: 'application/json', text: JSON.stringify({ id: decoded, templateTest: true, data: `Data for ID: ${decoded}` }) };
}

export const PROMPTS: readonly Prompt[] = [
  { name: 'test_simple_prompt', description: 'A simple prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt embedding a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with image content' },
];

/** The rendered prompt, or an error message for invalid parameters. */
export function renderPrompt(name: string, args: Record<string, string>): GetPromptResult | string {
  const required = (key: string) => args[key] ?? undefined;
  switch (name) {
    case 'test_simple_prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
    case 'test_prompt_with_arguments': {
      const arg1 = required('arg1');
      const arg2 = required('arg2');
      if (arg1 === undefined || arg2 === undefined) return ('Missing required arguments: arg1 and arg2');
      return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] };
    }
    case 'test_prompt_with_embedded_resource': {
      const uri = required('resourceUri');
      if (uri === undefined) return ('Missing required argument: resourceUri');
      return {
        messages: [
          { role: 'user', content: { type: 'resource', resource: { uri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      };
    }
    case 'test_prompt_with_image':
      return {
        messages: [
          { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      };
  }
  return (`Unknown prompt: ${name}`);
}
