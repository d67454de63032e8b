import { gone } from './nowhere.js';
export default function () { gone(); }
