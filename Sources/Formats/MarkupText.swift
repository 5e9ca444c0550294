/// Character references for text written into XML or HTML, one way for every markup the project
/// prints (the JUnit report and the HTML report).
enum MarkupText {
  /// `&`, `<`, `>`, `"` and `'` as character references (`apostrophe` is the one for `'`:
  /// `&apos;` in XML, `&#39;` in HTML). With `replacingControlCharacters`, control characters
  /// other than newline and tab become spaces (XML 1.0 does not allow them).
  static func escape(_ text: String, apostrophe: String, replacingControlCharacters: Bool) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += apostrophe
      default:
        if replacingControlCharacters && ch.value < 0x20 && ch != "\n" && ch != "\t" {
          out += " "
        } else {
          out.unicodeScalars.append(ch)
        }
      }
    }
    return out
  }
}
