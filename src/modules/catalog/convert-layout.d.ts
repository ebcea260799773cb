/** Types for convert-layout (ships none): each layout module converts to and from US QWERTY. */
declare module 'convert-layout/ru.js' {
  const layout: {
    /** Text typed on US keys, as the same keys give in this layout. */
    fromEn(text: string): string;
    /** Text typed in this layout, as the same keys give on US keys. */
    toEn(text: string): string;
  };
  export default layout;
}
