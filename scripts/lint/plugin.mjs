// The project's own lint rules (registered in eslint.config.js as the `kino` plugin).
import { isSqlText, literalText } from './sql-text.mjs';

/** SQL text outside repositories: a repository holds each statement the module runs. */
const sqlInRepositories = {
  meta: {
    type: 'problem',
    docs: { description: 'SQL statements live in *.repository.ts files (ADR 0002).' },
    schema: [],
    messages: {
      sql: 'SQL statement outside a repository: move it into a *.repository.ts file of this module.',
    },
  },
  create(context) {
    const check = (node) => {
      const text = literalText(node);
      if (text !== null && isSqlText(text)) context.report({ node, messageId: 'sql' });
    };
    return { Literal: check, TemplateLiteral: check };
  },
};

/** `bus.subscribe(…)` or `x.bus.subscribe(…)`: consumers go through platform's consume(). */
const busSubscribeInPlatform = {
  meta: {
    type: 'problem',
    docs: { description: 'Only src/platform/ subscribes to the bus; modules use consume().' },
    schema: [],
    messages: {
      subscribe:
        'bus.subscribe outside src/platform/: use consume() (or another platform consumer) so events get de-duplication, tracing and logging.',
    },
  },
  create(context) {
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.computed) return;
        if (callee.property.type !== 'Identifier' || callee.property.name !== 'subscribe') return;
        const target = callee.object;
        const isBus =
          (target.type === 'Identifier' && target.name === 'bus') ||
          (target.type === 'MemberExpression' &&
            !target.computed &&
            target.property.type === 'Identifier' &&
            target.property.name === 'bus');
        if (isBus) context.report({ node, messageId: 'subscribe' });
      },
    };
  },
};

export default {
  meta: { name: 'kino' },
  rules: {
    'sql-in-repositories': sqlInRepositories,
    'bus-subscribe-in-platform': busSubscribeInPlatform,
  },
};
