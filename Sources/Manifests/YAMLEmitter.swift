import CYAML
import KubeModel

/// A YAML value tree to write: what a policy generator builds to emit manifests.
public indirect enum YAMLValue: Hashable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  /// A string; quoted on output whenever plain text would read back as another type.
  case string(String)
  case sequence([YAMLValue])
  /// Entries in the order given.
  case mapping([YAMLEntry])

  /// A mapping from key/value pairs, keeping their order.
  public static func map(_ pairs: KeyValuePairs<String, YAMLValue>) -> YAMLValue {
    .mapping(pairs.map { YAMLEntry($0.key, $0.value) })
  }

  /// A mapping of strings, with keys sorted.
  public static func stringMap(_ map: [String: String]) -> YAMLValue {
    .mapping(map.keys.sorted().map { YAMLEntry($0, .string(map[$0] ?? "")) })
  }
}

/// One entry of a `YAMLValue.mapping`.
public struct YAMLEntry: Hashable, Sendable {
  public var key: String
  public var value: YAMLValue

  public init(_ key: String, _ value: YAMLValue) {
    self.key = key
    self.value = value
  }
}

/// Writes `YAMLValue` documents as a YAML stream through libyaml's emitter.
public enum YAMLEmitter {
  /// A stream of `documents`, separated by `---`; empty for no documents.
  public static func emit(_ documents: [YAMLValue]) -> String {
    guard !documents.isEmpty else { return "" }
    let output = OutputBuffer()
    let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
    defer { emitter.deallocate() }
    guard yaml_emitter_initialize(emitter) == 1 else { return "" }
    defer { yaml_emitter_delete(emitter) }
    let box = Unmanaged.passRetained(output)
    defer { box.release() }
    yaml_emitter_set_output(
      emitter,
      { data, buffer, size in
        guard let data, let buffer else { return 0 }
        let out = Unmanaged<OutputBuffer>.fromOpaque(data).takeUnretainedValue()
        out.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
        return 1
      }, box.toOpaque())
    yaml_emitter_set_unicode(emitter, 1)
    yaml_emitter_set_indent(emitter, 2)
    yaml_emitter_set_width(emitter, -1)

    var event = yaml_event_t()
    var ok = true
    func emit() {
      if ok { ok = yaml_emitter_emit(emitter, &event) == 1 }
    }
    yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
    emit()
    for (i, document) in documents.enumerated() {
      yaml_document_start_event_initialize(&event, nil, nil, nil, i == 0 ? 1 : 0)
      emit()
      emitNode(document, emitter: emitter, ok: &ok)
      yaml_document_end_event_initialize(&event, 1)
      emit()
    }
    yaml_stream_end_event_initialize(&event)
    emit()
    yaml_emitter_flush(emitter)
    return String(decoding: output.bytes, as: UTF8.self)
  }

  private final class OutputBuffer {
    var bytes: [UInt8] = []
  }

  private static func emitNode(
    _ value: YAMLValue, emitter: UnsafeMutablePointer<yaml_emitter_t>, ok: inout Bool
  ) {
    guard ok else { return }
    var event = yaml_event_t()
    switch value {
    case .null:
      ok = scalar("null", quoted: false, emitter: emitter)
    case .bool(let b):
      ok = scalar(b ? "true" : "false", quoted: false, emitter: emitter)
    case .int(let n):
      ok = scalar(String(n), quoted: false, emitter: emitter)
    case .string(let s):
      ok = scalar(s, quoted: needsQuotes(s), emitter: emitter)
    case .sequence(let items):
      yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE)
      ok = yaml_emitter_emit(emitter, &event) == 1
      for item in items { emitNode(item, emitter: emitter, ok: &ok) }
      guard ok else { return }
      yaml_sequence_end_event_initialize(&event)
      ok = yaml_emitter_emit(emitter, &event) == 1
    case .mapping(let entries):
      let style = entries.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE
      yaml_mapping_start_event_initialize(&event, nil, nil, 1, style)
      ok = yaml_emitter_emit(emitter, &event) == 1
      for entry in entries {
        guard ok else { return }
        ok = scalar(entry.key, quoted: needsQuotes(entry.key), emitter: emitter)
        emitNode(entry.value, emitter: emitter, ok: &ok)
      }
      guard ok else { return }
      yaml_mapping_end_event_initialize(&event)
      ok = yaml_emitter_emit(emitter, &event) == 1
    }
  }

  private static func scalar(
    _ text: String, quoted: Bool, emitter: UnsafeMutablePointer<yaml_emitter_t>
  ) -> Bool {
    var event = yaml_event_t()
    var bytes = Array(text.utf8)
    let length = Int32(clamping: bytes.count)
    bytes.append(0)
    let initialized = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let pointer = buffer.baseAddress else { return 0 }
      return yaml_scalar_event_initialize(
        &event, nil, nil, pointer, length, quoted ? 0 : 1, 1,
        quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)
    }
    guard initialized == 1 else { return false }
    return yaml_emitter_emit(emitter, &event) == 1
  }

  /// True when plain text would not read back as this string.
  static func needsQuotes(_ s: String) -> Bool {
    if s.isEmpty { return true }
    var copy = s
    return copy.withUTF8 { YAMLReader.resolvePlain($0) != .string }
  }
}

/// Writes `YAMLValue` trees as JSON (two-space indent, keys in the order given), for `-o json`
/// of generated manifests; the manifest loader reads it back.
public enum JSONEmitter {
  /// One JSON value followed by a newline.
  public static func emit(_ value: YAMLValue) -> String {
    var out = ""
    write(value, indent: "", into: &out)
    return out + "\n"
  }

  private static func write(_ value: YAMLValue, indent: String, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let n): out += String(n)
    case .string(let s): out += JSONText.quote(s)
    case .sequence(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      out += "[\n"
      for (i, item) in items.enumerated() {
        out += indent + "  "
        write(item, indent: indent + "  ", into: &out)
        out += i + 1 < items.count ? ",\n" : "\n"
      }
      out += indent + "]"
    case .mapping(let entries):
      if entries.isEmpty {
        out += "{}"
        return
      }
      out += "{\n"
      for (i, entry) in entries.enumerated() {
        out += indent + "  " + JSONText.quote(entry.key) + ": "
        write(entry.value, indent: indent + "  ", into: &out)
        out += i + 1 < entries.count ? ",\n" : "\n"
      }
      out += indent + "}"
    }
  }

}
