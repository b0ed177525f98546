import { createValidator } from '../validate.js';
import { MAX_PULSE_NODE_BYTES } from './keys.js';
import { PulseNode } from './pulse-node.js';

export const pulseNodeValidator = createValidator(PulseNode, 'pulse node', MAX_PULSE_NODE_BYTES);
export const validatePulseNode = pulseNodeValidator.validate;
export const parsePulseNode = pulseNodeValidator.parse;
