export const words = ['hello', 'world'];
