import Foundation
import KubeModel

/// Options of a manifest load.
public struct LoadOptions: Sendable {
  /// Also report a note for every skipped object.
  public var verbose: Bool = false
  /// The most pods modelled for one workload object (larger `replicas` are capped, with a warning).
  public var maxReplicas: Int = 100
  /// Bounds against hostile YAML.
  public var limits: YAMLLimits = YAMLLimits()
  /// Unknown fields in policies are warnings rather than errors (`--lenient`).
  public var lenient: Bool = false
  /// The namespace of namespaced objects that name none (`-n`), as `kubectl apply -n` does.
  public var defaultNamespace: String = "default"

  public init(
    verbose: Bool = false, maxReplicas: Int = 100, limits: YAMLLimits = YAMLLimits(),
    lenient: Bool = false, defaultNamespace: String = "default"
  ) {
    self.verbose = verbose
    self.maxReplicas = max(1, maxReplicas)
    self.limits = limits
    self.lenient = lenient
    self.defaultNamespace = defaultNamespace
  }
}

/// What a load produced: the model, every problem found (sorted), and what was left out.
public struct LoadResult: Sendable {
  public var cluster: Cluster
  /// Sorted, without repeats. Any `.error` makes the input unusable.
  public var diagnostics: [Diagnostic]
  /// Kinds that were read but not modelled, with how many objects of each.
  public var skippedKinds: [String: Int]
  /// Bytes of input read.
  public var bytesRead: Int
  /// Objects of network policy kinds of CNIs and meshes that were not evaluated, by kind.
  public var unevaluatedPolicyKinds: [String: Int]

  public init(
    cluster: Cluster, diagnostics: [Diagnostic], skippedKinds: [String: Int], bytesRead: Int,
    unevaluatedPolicyKinds: [String: Int] = [:]
  ) {
    self.cluster = cluster
    self.diagnostics = diagnostics
    self.skippedKinds = skippedKinds
    self.bytesRead = bytesRead
    self.unevaluatedPolicyKinds = unevaluatedPolicyKinds
  }

  /// One line saying which policy objects the results ignore; nil when there are none.
  public var unevaluatedPolicySummary: String? {
    let total = unevaluatedPolicyKinds.values.reduce(0, +)
    guard total > 0 else { return nil }
    let kinds = unevaluatedPolicyKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    return "warning: \(total) policy object\(total == 1 ? "" : "s") of kinds kubereach does not "
      + "evaluate (\(kinds.joined(separator: ", "))) were ignored; the connectivity shown may "
      + "not hold on a cluster that enforces them"
  }

  /// True when some diagnostic is an error.
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Reads Kubernetes manifests (YAML or JSON, multi-document, lists) into a `Cluster`.
public enum ManifestLoader {
  /// Loads files and folders. Folders are searched recursively for `.yaml`, `.yml` and `.json`
  /// files, in sorted order; `-` reads standard input.
  ///
  /// Every file is read in sorted path order (standard input first), whatever the order of
  /// `paths`, so that the result does not depend on it. Folders holding a Helm chart or a
  /// kustomization are refused (with one error each) rather than half-read.
  public static func load(paths: [String], options: LoadOptions = .init()) -> LoadResult {
    var session = LoadSession(options: options)
    var files: [String] = []
    for path in paths where path != "-" {
      let found = FileDiscovery.files(at: path)
      files += found.files
      for problem in found.problems { session.context.append(problem) }
    }
    if paths.contains("-") {
      let before = session.context.objectCount
      let data = FileHandle.standardInput.readDataToEndOfFile()
      session.load(data: data, file: "<stdin>")
      if session.context.objectCount == before {
        session.context.append(
          .warning(.emptyInput, "no objects read from standard input", at: nil))
      }
    }
    for file in files.sorted() {
      guard let data = FileDiscovery.contents(of: file) else {
        session.context.append(.error(.unreadableFile, "cannot read file '\(file)'", at: nil))
        continue
      }
      session.load(data: data, file: file)
    }
    return session.finish()
  }

  /// Loads manifests given as text; `file` names them in locations.
  public static func load(yaml: String, file: String = "<string>", options: LoadOptions = .init())
    -> LoadResult
  {
    var session = LoadSession(options: options)
    var text = yaml
    text.withUTF8 { session.load(bytes: $0, file: file) }
    return session.finish()
  }

  /// Loads manifests given as raw bytes (which may be invalid UTF-8); `file` names them.
  public static func load(bytes: [UInt8], file: String = "<bytes>", options: LoadOptions = .init())
    -> LoadResult
  {
    var session = LoadSession(options: options)
    bytes.withUnsafeBufferPointer { session.load(bytes: $0, file: file) }
    return session.finish()
  }
}

/// The state of one load: one reused document buffer, the decode context and the builder.
struct LoadSession {
  let options: LoadOptions
  let context = DecodeContext()
  let builder: ClusterBuilder
  let document = YAMLDocument()
  var bytesRead = 0

  init(options: LoadOptions) {
    self.options = options
    self.builder = ClusterBuilder(options: options)
    context.verbose = options.verbose
    context.lenient = options.lenient
    context.defaultNamespace = options.defaultNamespace
  }

  mutating func load(data: Data, file: String) {
    data.withUnsafeBytes { raw in
      load(bytes: raw.bindMemory(to: UInt8.self), file: file)
    }
  }

  mutating func load(bytes: UnsafeBufferPointer<UInt8>, file: String) {
    bytesRead += bytes.count
    context.file = file
    let decoder = ObjectDecoder(context: context, builder: builder)
    let reader = YAMLReader(file: file, limits: options.limits)
    let context = self.context
    let handler = { (doc: YAMLDocument, index: Int) in
      guard let root = doc.root else { return }
      context.document = index
      decoder.decode(document: YNode(doc: doc, index: root))
    }
    if let lines = JSONLines.lines(of: bytes) {
      // JSON Lines (`jq -c`): each line is a document.
      for (number, range) in lines.enumerated() {
        let slice = UnsafeBufferPointer(rebasing: bytes[range.bytes])
        if let problem = reader.read(
          slice, into: document, lineOffset: range.line, documentOffset: number,
          report: context.append, handler: handler)
        {
          context.append(problem)
        }
      }
      return
    }
    if var problem = reader.read(bytes, into: document, report: context.append, handler: handler) {
      if problem.code == .yamlSyntax, JSONLines.containsTemplateMarks(bytes) {
        problem.message +=
          "; the file holds '{{ }}' template marks: render templates first (helm template)"
      }
      context.append(problem)
    }
  }

  func finish() -> LoadResult {
    let cluster = builder.finish()
    var all = Diagnostics()
    all.append(contentsOf: context.diagnostics)
    all.append(contentsOf: builder.diagnostics)
    return LoadResult(
      cluster: cluster, diagnostics: all.sorted, skippedKinds: builder.skippedKinds,
      bytesRead: bytesRead, unevaluatedPolicyKinds: builder.unevaluatedKinds)
  }
}

/// Finds the manifest files under a path.
enum FileDiscovery {
  static let extensions: Set<String> = ["yaml", "yml", "json"]

  /// A file's bytes: mapped for regular files, read for pipes and other special files
  /// (`<(kubectl get ...)`).
  static func contents(of path: String) -> Data? {
    let type =
      (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    if type == .typeRegular,
      let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    {
      return data
    }
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return (try? handle.readToEnd()).map { $0 ?? Data() }
  }

  /// Files that mark a folder as a source still to be rendered, and how to render it.
  static let unrenderedMarkers: [(file: String, code: DiagnosticCode, what: String, render: String)] = [
    ("Chart.yaml", .helmChart, "a Helm chart (templates, not manifests)", "helm template"),
    ("kustomization.yaml", .kustomization, "a kustomization (bases and patches)", "kubectl kustomize"),
    ("kustomization.yml", .kustomization, "a kustomization (bases and patches)", "kubectl kustomize"),
    ("Kustomization", .kustomization, "a kustomization (bases and patches)", "kubectl kustomize"),
  ]

  /// The error for a folder that holds `marker`.
  static func unrendered(folder: String, marker: String) -> Diagnostic? {
    guard let entry = unrenderedMarkers.first(where: { $0.file == marker }) else { return nil }
    let shown = folder.isEmpty ? "." : folder
    return .error(
      entry.code,
      "'\(shown)' is \(entry.what), not rendered manifests; its files were not read. Render it "
        + "first: \(entry.render) \(shown) | kubereach analyze -",
      at: SourceLocation(file: folder.isEmpty ? marker : "\(folder)/\(marker)", line: 1, column: 1))
  }

  /// The path itself when it is a file; the manifest files below it, sorted, when a folder. A
  /// folder holding a Helm chart or a kustomization is refused as a whole, with one error.
  static func files(at path: String) -> (files: [String], problems: [Diagnostic]) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return ([], [.error(.pathNotFound, "'\(path)' does not exist", at: nil)])
    }
    guard isDirectory.boolValue else {
      let name = path.split(separator: "/").last.map(String.init) ?? path
      let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : ""
      if let problem = unrendered(folder: folder, marker: name) { return ([], [problem]) }
      return ([path], [])
    }
    guard let enumerator = FileManager.default.enumerator(atPath: path) else {
      return ([], [.error(.unreadableFile, "cannot list folder '\(path)'", at: nil)])
    }
    var candidates: [String] = []
    var unrenderedFolders: [String: Diagnostic] = [:]
    let base = path.hasSuffix("/") ? String(path.dropLast()) : path
    while let relative = enumerator.nextObject() as? String {
      let parts = relative.split(separator: "/", omittingEmptySubsequences: true)
      if let last = parts.last, unrenderedMarkers.contains(where: { $0.file == last }) {
        let folder = parts.dropLast().joined(separator: "/")
        let full = folder.isEmpty ? base : "\(base)/\(folder)"
        if unrenderedFolders[folder] == nil {
          unrenderedFolders[folder] = unrendered(folder: full, marker: String(last))
        }
      }
      let ext = relative.split(separator: ".").last.map { $0.lowercased() } ?? ""
      guard relative.contains("."), extensions.contains(ext) else { continue }
      candidates.append(relative)
    }
    var found: [String] = []
    for relative in candidates {
      // Nothing below a chart or a kustomization is read.
      let insideUnrendered = unrenderedFolders.keys.contains { folder in
        folder.isEmpty || relative.hasPrefix(folder + "/")
      }
      if insideUnrendered { continue }
      let full = "\(base)/\(relative)"
      var childIsDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory),
        !childIsDirectory.boolValue
      {
        found.append(full)
      }
    }
    // One error per chart or kustomization: the outermost, as rendering it renders the rest.
    let problems = unrenderedFolders.filter { folder, _ in
      !unrenderedFolders.keys.contains { other in
        other != folder && (other.isEmpty || folder.hasPrefix(other + "/"))
      }
    }.values.sorted()
    return (found.sorted(), problems)
  }
}

/// JSON Lines input (`jq -c` output): one JSON object a line.
enum JSONLines {
  /// The byte ranges and 0-based line numbers of the lines when `bytes` is JSON Lines (at least two
  /// lines that each start with `{` and end with `}`); nil for anything else.
  static func lines(of bytes: UnsafeBufferPointer<UInt8>) -> [(bytes: Range<Int>, line: Int)]? {
    var i = 0
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
      i += 1
    }
    guard i < bytes.count, bytes[i] == 0x7B else { return nil }
    var result: [(bytes: Range<Int>, line: Int)] = []
    var start = 0
    var line = 0
    while start < bytes.count {
      var end = start
      while end < bytes.count, bytes[end] != 0x0A { end += 1 }
      var first = start
      var last = end
      while first < last, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
      while last > first, [0x20, 0x09, 0x0D].contains(bytes[last - 1]) { last -= 1 }
      if first < last {
        guard bytes[first] == 0x7B, bytes[last - 1] == 0x7D else { return nil }
        result.append((start..<end, line))
      }
      start = end + 1
      line += 1
    }
    return result.count >= 2 ? result : nil
  }

  /// True when the bytes hold a `{{`, the mark of an unrendered template.
  static func containsTemplateMarks(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count >= 2 else { return false }
    for i in 0..<(bytes.count - 1) where bytes[i] == 0x7B && bytes[i + 1] == 0x7B { return true }
    return false
  }
}
