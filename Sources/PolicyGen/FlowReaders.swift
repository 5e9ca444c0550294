import Foundation
import KubeModel
import Manifests

/// Reads flow files of every supported format into `ObservedFlow`s.
public enum FlowReader {
  /// Reads `input` in `format`, or in the format detected from its first bytes.
  /// Throws only when the input cannot be read at all or its format cannot be told.
  public static func read(_ input: FlowInput, format: FlowFormat? = nil) throws(Diagnostic) -> FlowReadResult {
    var stdin: [UInt8]? = nil
    let head = try LineReader.head(input, stdinBuffer: &stdin)
    let chosen: FlowFormat
    if let format { chosen = format } else { chosen = try detect(head, name: input.name) }
    switch chosen {
    case .ours, .hubble:
      let file = input.name
      if case .path(let p) = input, p != "-", let parts = try parallelRead(p, format: chosen, workers: parallelism) {
        return parts.finish(format: chosen)
      }
      var acc = FlowAccumulator()
      let tooLong = try LineReader.forEachLine(input, stdinBuffer: stdin) { line, number in
        readLine(line, number, format: chosen, file: file, into: &acc)
      }
      for n in tooLong {
        acc.warn(.brokenLine, "line longer than \(LineReader.maxLine >> 20) MiB skipped", at: at(file, n, 1))
      }
      return acc.finish(format: chosen)
    case .intents:
      let bytes: [UInt8]
      switch input {
      case .bytes(let b, _): bytes = b
      case .path(let p):
        if p == "-" {
          bytes = stdin ?? []
        } else {
          guard let data = FileManager.default.contents(atPath: p) else {
            throw .error(.unreadableFile, "cannot read flow file '\(p)'", at: nil)
          }
          bytes = Array(data)
        }
      }
      return IntentsReader.read(bytes, file: input.name)
    }
  }

  /// Files at least this large are read by several threads, each over a line-aligned range.
  static let parallelThreshold = 32 << 20
  /// How many threads read a large file.
  static var parallelism: Int { min(4, ProcessInfo.processInfo.activeProcessorCount) }

  /// One line of a line-oriented format.
  static func readLine(
    _ line: UnsafeBufferPointer<UInt8>, _ number: Int, format: FlowFormat, file: String,
    into acc: inout FlowAccumulator
  ) {
    if format == .hubble {
      HubbleReader.line(line, number, file: file, into: &acc)
    } else {
      OursReader.line(line, number, file: file, into: &acc)
    }
  }

  /// Per-thread results of a parallel read; each thread writes only its own slot.
  final class Slots: @unchecked Sendable {
    let accumulators: UnsafeMutableBufferPointer<FlowAccumulator>
    let results: UnsafeMutableBufferPointer<(tooLong: [Int], lines: Int, error: Diagnostic?)>

    init(_ count: Int) {
      accumulators = .allocate(capacity: count)
      accumulators.initialize(repeating: FlowAccumulator())
      results = .allocate(capacity: count)
      results.initialize(repeating: ([], 0, nil))
    }

    deinit {
      accumulators.deinitialize().deallocate()
      results.deinitialize().deallocate()
    }
  }

  /// Reads a large regular file in line-aligned ranges on `workers` threads, each into its
  /// own accumulator, merged in file order (so locations and first-seen order are those of a
  /// sequential read). Nil for small files, special files, or a single worker.
  static func parallelRead(
    _ path: String, format: FlowFormat, workers: Int, threshold: Int = parallelThreshold
  ) throws(Diagnostic) -> FlowAccumulator? {
    guard workers > 1,
      let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular,
      let size = (attributes[.size] as? NSNumber)?.intValue, size >= threshold, size > 0
    else { return nil }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw .error(.unreadableFile, "cannot read flow file '\(path)'", at: nil) }
    defer { close(fd) }
    let ranges = LineReader.lineAlignedRanges(fd, size: size, parts: workers)
    let slots = Slots(ranges.count)
    DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
      do throws(Diagnostic) {
        let r = try LineReader.stream(fd, from: ranges[k], name: path) { line, number in
          readLine(line, number, format: format, file: path, into: &slots.accumulators[k])
        }
        slots.results[k] = (r.tooLong, r.lines, nil)
      } catch {
        slots.results[k] = ([], 0, error)
      }
    }
    var merged = FlowAccumulator()
    var offset = 0
    for k in 0..<ranges.count {
      if let error = slots.results[k].error { throw error }
      merged.merge(slots.accumulators[k], lineOffset: offset)
      for n in slots.results[k].tooLong {
        merged.warn(
          .brokenLine, "line longer than \(LineReader.maxLine >> 20) MiB skipped", at: at(path, offset + n, 1))
      }
      offset += slots.results[k].lines
    }
    return merged
  }

  /// Tells the format from the first bytes: YAML with `apiVersion`/`kind` is intents, JSON
  /// objects with Hubble's keys are Hubble, other JSON objects and CSV are ours.
  public static func detect(_ head: [UInt8], name: String) throws(Diagnostic) -> FlowFormat {
    let text = String(decoding: head, as: UTF8.self)
    let firstLine =
      text.split(separator: "\n").first {
        let t = $0.trimmingCharacters(in: .whitespaces)
        return !t.isEmpty && !t.hasPrefix("#")
      }.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    if firstLine.isEmpty {
      return .ours
    }
    if firstLine.hasPrefix("{") {
      let hubbleKeys = ["\"flow\"", "\"l4\"", "\"IP\"", "\"is_reply\"", "\"traffic_direction\"", "\"node_name\""]
      return hubbleKeys.contains { firstLine.contains($0) } ? .hubble : .ours
    }
    if firstLine.hasPrefix("---") || firstLine.hasPrefix("apiVersion") || firstLine.hasPrefix("kind")
      || text.contains("ClientIntents")
    {
      return .intents
    }
    if firstLine.contains(",") { return .ours }
    throw .error(
      .flowFormat, "cannot tell the format of \(name); give --flow-format ours, hubble or intents",
      at: SourceLocation(file: name, line: 1, column: 1))
  }

  static func at(_ file: String, _ line: Int, _ column: Int) -> SourceLocation {
    SourceLocation(file: file, line: line, column: column)
  }

  /// Parses an endpoint of our format: `ns/name`, an IP address or a CIDR.
  static func endpoint(_ text: String) -> FlowEndpoint? {
    let t = text.trimmingCharacters(in: .whitespaces)
    if let ip = IPAddress(t) { return .address(CIDR(address: ip, prefixLength: ip.family.bitWidth)) }
    if t.contains("/"), let cidr = CIDR(t), t.first.map({ $0.isNumber || $0 == ":" }) == true {
      return .address(cidr)
    }
    let parts = t.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    return .named(namespace: String(parts[0]), name: String(parts[1]))
  }
}

/// Our format: JSON Lines (`{"source": "ns/a", "destination": "ns/b", "protocol": "TCP",
/// "port": 80, "count": 3}`) or CSV (`source,destination,protocol,port,count`, header optional).
enum OursReader {
  static func line(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, file: String, into acc: inout FlowAccumulator) {
    var i = 0
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
    guard i < bytes.count, bytes[i] != UInt8(ascii: "#") else { return }
    acc.records += 1
    if bytes[i] == UInt8(ascii: "{") {
      json(bytes, number, file: file, into: &acc)
    } else {
      csv(String(decoding: bytes, as: UTF8.self), number, file: file, into: &acc)
    }
  }

  static func json(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, file: String, into acc: inout FlowAccumulator) {
    var c = JSONCursor(bytes)
    var source: String?
    var destination: String?
    var proto = "TCP"
    var port: Int?
    var count = 1
    do throws(JSONSyntaxError) {
      try c.beginObject()
      while let key = try c.nextKey() {
        if bytesEqual(key, "source") {
          source = try c.string()
        } else if bytesEqual(key, "destination") {
          destination = try c.string()
        } else if bytesEqual(key, "protocol") {
          proto = try c.string()
        } else if bytesEqual(key, "port") {
          if c.peek() == UInt8(ascii: "\"") {
            let s = try c.string()
            guard let n = Int(s) else { throw c.fail("port must be a number") }
            port = n
          } else {
            port = try c.int()
          }
        } else if bytesEqual(key, "count") {
          count = try c.int()
        } else {
          try c.skipValue()
        }
      }
      if !c.atEnd() { throw c.fail("text after the flow object") }
    } catch {
      acc.warn(.brokenLine, "not a flow: \(error.message)", at: FlowReader.at(file, number, error.offset + 1))
      return
    }
    add(source, destination, proto, port, count, number, file: file, into: &acc)
  }

  static let header = ["source", "destination", "protocol", "port", "count"]

  static func csv(_ text: String, _ number: Int, file: String, into acc: inout FlowAccumulator) {
    let fields = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
    if fields.first?.lowercased() == "source" {  // the header
      acc.records -= 1
      return
    }
    guard fields.count == 4 || fields.count == 5 else {
      acc.warn(
        .brokenLine,
        "expected 4 or 5 comma-separated fields (source,destination,protocol,port[,count]), found \(fields.count)",
        at: FlowReader.at(file, number, 1))
      return
    }
    var count = 1
    if fields.count == 5, !fields[4].isEmpty {
      guard let n = Int(fields[4]) else {
        acc.warn(.brokenLine, "count '\(fields[4])' is not a number", at: FlowReader.at(file, number, 1))
        return
      }
      count = n
    }
    guard let port = Int(fields[3]) else {
      acc.warn(.brokenLine, "port '\(fields[3])' is not a number", at: FlowReader.at(file, number, 1))
      return
    }
    add(fields[0], fields[1], fields[2].isEmpty ? "TCP" : fields[2], port, count, number, file: file, into: &acc)
  }

  static func add(
    _ source: String?, _ destination: String?, _ proto: String, _ port: Int?, _ count: Int, _ number: Int,
    file: String, into acc: inout FlowAccumulator
  ) {
    let here = FlowReader.at(file, number, 1)
    guard let source, let destination else {
      acc.warn(.brokenLine, "a flow needs a source and a destination", at: here)
      return
    }
    guard let src = FlowReader.endpoint(source) else {
      acc.warn(.brokenLine, "source '\(source)' is neither ns/name, an IP address nor a CIDR", at: here)
      return
    }
    guard let dst = FlowReader.endpoint(destination) else {
      acc.warn(.brokenLine, "destination '\(destination)' is neither ns/name, an IP address nor a CIDR", at: here)
      return
    }
    guard let transport = TransportProtocol(rawValue: proto.uppercased()) else {
      acc.warn(.brokenLine, "protocol '\(proto)' is not TCP, UDP or SCTP", at: here)
      return
    }
    guard let port, (1...65535).contains(port) else {
      acc.warn(.brokenLine, "a flow needs a port from 1 to 65535", at: here)
      return
    }
    guard count >= 1 else {
      acc.warn(.brokenLine, "count must be at least 1", at: here)
      return
    }
    acc.add(src, dst, transport, port, count: count, at: here)
  }
}

/// `hubble observe -o json`: one JSON object per line, `{"flow": {...}, ...}` or a bare flow.
enum HubbleReader {
  struct End {
    var namespace = ""
    var pod: String?
    var workload: String?
    var labels: UnsafeBufferPointer<UInt8>? = nil
  }

  /// The fields of one flow object that the reader uses.
  struct Fields {
    var sawFlow = false
    var isReply = false
    var src = End()
    var dst = End()
    var srcIP: String?
    var dstIP: String?
    var transport: TransportProtocol?
    var otherL4: String?
    var port: Int?
    var names: [String] = []
    /// `verdict` when it says the flow did not pass (`DROPPED`, `ERROR`).
    var notForwarded: String?

    mutating func read(_ c: inout JSONCursor) throws(JSONSyntaxError) {
      sawFlow = true
      try c.beginObject()
      while let key = try c.nextKey() {
        if bytesEqual(key, "source") {
          src = try HubbleReader.endpoint(&c)
        } else if bytesEqual(key, "destination") {
          dst = try HubbleReader.endpoint(&c)
        } else if bytesEqual(key, "IP") {
          if c.null() { continue }
          try c.beginObject()
          while let k = try c.nextKey() {
            if bytesEqual(k, "source") {
              srcIP = try c.string()
            } else if bytesEqual(k, "destination") {
              dstIP = try c.string()
            } else {
              try c.skipValue()
            }
          }
        } else if bytesEqual(key, "l4") {
          if c.null() { continue }
          try c.beginObject()
          while let k = try c.nextKey() {
            let t: TransportProtocol? =
              bytesEqual(k, "TCP") ? .tcp : bytesEqual(k, "UDP") ? .udp : bytesEqual(k, "SCTP") ? .sctp : nil
            guard let t else {
              otherL4 = String(decoding: k, as: UTF8.self)
              try c.skipValue()
              continue
            }
            transport = t
            if c.null() { continue }
            try c.beginObject()
            while let f = try c.nextKey() {
              if bytesEqual(f, "destination_port") { port = try c.int() } else { try c.skipValue() }
            }
          }
        } else if bytesEqual(key, "is_reply") {
          if c.peek() == UInt8(ascii: "{") {
            try c.beginObject()
            while let k = try c.nextKey() {
              if bytesEqual(k, "value") { isReply = try c.bool() } else { try c.skipValue() }
            }
          } else if !c.null() {
            isReply = try c.bool()
          }
        } else if bytesEqual(key, "l7") {
          // An L7 response event runs from the server back to the client: a reply.
          if c.null() { continue }
          try c.beginObject()
          while let k = try c.nextKey() {
            if bytesEqual(k, "type"), !c.null() {
              if bytesEqual(try c.rawString(), "RESPONSE") { isReply = true }
            } else {
              try c.skipValue()
            }
          }
        } else if bytesEqual(key, "verdict") {
          if c.null() { continue }
          let v = try c.rawString()
          if bytesEqual(v, "DROPPED") || bytesEqual(v, "ERROR") { notForwarded = String(decoding: v, as: UTF8.self) }
        } else if bytesEqual(key, "destination_names") {
          if c.null() { continue }
          try c.beginArray()
          while try c.nextElement() { names.append(try c.string()) }
        } else {
          try c.skipValue()
        }
      }
    }
  }

  static func line(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, file: String, into acc: inout FlowAccumulator) {
    var c = JSONCursor(bytes)
    guard c.peek() != 0 else { return }
    acc.records += 1
    var f = Fields()
    do throws(JSONSyntaxError) {
      try c.beginObject()
      var bare = false
      while let key = try c.nextKey() {
        if bytesEqual(key, "flow") {
          try f.read(&c)
        } else {
          try c.skipValue()
          if bytesEqual(key, "l4") || bytesEqual(key, "IP") || bytesEqual(key, "source") { bare = true }
        }
      }
      if !c.atEnd() { throw c.fail("text after the JSON object") }
      if !f.sawFlow && bare {
        // A bare flow object: read the line again as the flow itself.
        var again = JSONCursor(bytes)
        try f.read(&again)
      }
    } catch {
      acc.warn(.brokenLine, "not a Hubble flow: \(error.message)", at: FlowReader.at(file, number, error.offset + 1))
      return
    }
    let here = FlowReader.at(file, number, 1)
    guard f.sawFlow else {
      acc.skip("not a flow")
      return
    }
    if f.isReply {
      acc.skip("reply")
      return
    }
    if let verdict = f.notForwarded {
      acc.skip("verdict \(verdict)")
      return
    }
    guard let transport = f.transport else {
      acc.skip(f.otherL4 ?? "no layer 4")
      return
    }
    guard let port = f.port, (1...65535).contains(port) else {
      acc.warn(.brokenLine, "\(transport.rawValue) flow without a destination port", at: here)
      return
    }
    guard let s = peer(f.src, ip: f.srcIP), let d = peer(f.dst, ip: f.dstIP) else {
      acc.warn(.brokenLine, "a flow end has neither a namespace nor an IP address", at: here)
      return
    }
    acc.add(s, d, transport, port, count: 1, at: here, names: f.names)
  }

  static func endpoint(_ c: inout JSONCursor) throws(JSONSyntaxError) -> End {
    var end = End()
    if c.null() { return end }
    try c.beginObject()
    while let key = try c.nextKey() {
      if bytesEqual(key, "namespace") {
        end.namespace = try c.string()
      } else if bytesEqual(key, "pod_name") {
        end.pod = try c.string()
      } else if bytesEqual(key, "labels") {
        let start = c.position
        try c.skipValue()
        end.labels = UnsafeBufferPointer(rebasing: c.bytes[start..<c.position])
      } else if bytesEqual(key, "workloads") {
        if c.null() { continue }
        try c.beginArray()
        while try c.nextElement() {
          try c.beginObject()
          while let k = try c.nextKey() {
            if bytesEqual(k, "name"), end.workload == nil { end.workload = try c.string() } else { try c.skipValue() }
          }
        }
      } else {
        try c.skipValue()
      }
    }
    return end
  }

  static func peer(_ end: End, ip: String?) -> FlowEndpoint? {
    if !end.namespace.isEmpty {
      var labels: [String] = []
      if end.workload == nil, let raw = end.labels {
        var c = JSONCursor(raw)
        if (try? c.beginArray()) != nil {
          while (try? c.nextElement()) == true, let s = try? c.string() {
            // Drop the source prefix (`k8s:`, `container:`, ...).
            if let colon = s.firstIndex(of: ":"), !s[..<colon].contains("=") {
              labels.append(String(s[s.index(after: colon)...]))
            } else {
              labels.append(s)
            }
          }
        }
        labels.sort()
      }
      return .hubble(
        namespace: end.namespace, workload: end.workload, pod: end.workload == nil ? end.pod : nil, labels: labels)
    }
    guard let ip, let address = IPAddress(ip) else { return nil }
    return .address(CIDR(address: address, prefixLength: address.family.bitWidth))
  }
}

/// Otterize `ClientIntents` (`k8s.otterize.com`): `spec.service.name` calls `spec.calls[].name`
/// (v1alpha2/3, `name` or `name.namespace`) or `spec.targets[]` (`kubernetes.name`,
/// `service.name`, `internet.ips` with `ports`) (v2). Intents name no ports: a flow of an
/// intent stands for every port the destination serves (port 0, resolved against the
/// manifests), except internet targets, which list theirs.
enum IntentsReader {
  static func read(_ bytes: [UInt8], file: String) -> FlowReadResult {
    var acc = FlowAccumulator()
    let documents: [YAMLTree]
    switch YAMLTree.documents(of: bytes, file: file) {
    case .success(let docs): documents = docs
    case .failure(let d):
      acc.diagnostics.append(.warning(d.code, d.message, at: d.location))
      documents = []
    }
    for doc in documents {
      guard doc["kind"]?.text == "ClientIntents" else {
        acc.skip("not ClientIntents")
        continue
      }
      acc.records += 1
      let here = doc.location
      let namespace = doc["metadata"]?["namespace"]?.text ?? "default"
      guard let spec = doc["spec"], let client = spec["service"]?["name"]?.text ?? spec["workload"]?["name"]?.text
      else {
        acc.warn(.brokenLine, "ClientIntents without spec.service.name", at: here)
        continue
      }
      let source = FlowEndpoint.named(namespace: namespace, name: client)
      func target(_ name: String, _ node: YAMLTree) {
        let at = node.location
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        let ns = parts.count == 2 ? parts[1] : namespace
        acc.add(source, .named(namespace: ns, name: parts[0]), .tcp, 0, count: 1, at: at)
      }
      for call in spec["calls"]?.items ?? [] {
        guard let name = call["name"]?.text else {
          acc.warn(.brokenLine, "a call without a name", at: call.location)
          continue
        }
        if let ns = call["namespace"]?.text {
          target("\(name).\(ns)", call)
        } else {
          target(name, call)
        }
      }
      for t in spec["targets"]?.items ?? [] {
        if let name = t["kubernetes"]?["name"]?.text ?? t["service"]?["name"]?.text {
          target(name, t)
        } else if let internet = t["internet"] {
          let at = t.location
          let ports = internet["ports"]?.items.compactMap { $0.text.flatMap(Int.init) } ?? []
          let ips = internet["ips"]?.items.compactMap(\.text) ?? []
          if ips.isEmpty || ports.isEmpty {
            acc.warn(
              .unresolvedFlow, "an internet target needs ips and ports to become a policy (domains alone cannot)",
              at: at)
            continue
          }
          for ip in ips {
            guard let dst = FlowReader.endpoint(ip), case .address = dst else {
              acc.warn(.brokenLine, "'\(ip)' is not an IP address or CIDR", at: at)
              continue
            }
            for p in ports where (1...65535).contains(p) { acc.add(source, dst, .tcp, p, count: 1, at: at) }
          }
        } else {
          acc.warn(
            .brokenLine, "a target that is not kubernetes, service or internet",
            at: t.location)
        }
      }
    }
    return acc.finish(format: .intents)
  }
}
