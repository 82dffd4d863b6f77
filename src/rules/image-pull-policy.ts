// `imagePullPolicy: Never` runs only where the image already sits in the node's cache:
// usually the one node that built it.
import { defineRule } from './rule.js';
import { actionSetting } from './settings.js';
import { displayImage } from '../images/reference.js';

export default defineRule({
  id: 'image-pull-policy',
  settings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: { action: actionSetting('warn') },
  },
  docs: {
    catches: '`imagePullPolicy: Never`: the image exists only where it was built',
    policy: ['imagePullPolicy: Never starts only on nodes that already hold the image.'],
    settings: { action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off`' } },
  },
  configure: () => undefined,
  evaluate(ctx) {
    return ctx.containers
      .filter(({ container, exempt }) => !exempt && container.imagePullPolicy === 'Never')
      .map(({ container, path }) => ({
        path: `${path}/imagePullPolicy`,
        subject: `${container.name}=${container.image}`,
        message: `container "${container.name}" has imagePullPolicy: Never, so it starts only on nodes that already have ${displayImage(container.image)}: push the image to a registry and use IfNotPresent`,
      }));
  },
});
