/**
 * A decoded XML element, as every decoder of src/protocol/ returns it:
 * attribute values always strings (a component named `007` stays `007`),
 * attributes in a null-prototype object (peer text never meets
 * Object.prototype), text = character data directly inside.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element. */
  readonly text: string;
}
