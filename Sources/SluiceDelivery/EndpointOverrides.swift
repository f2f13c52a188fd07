import Foundation

/// Where requests for a vendor's host go instead: `sluice serve --endpoint-override HOST=URL`.
///
/// Each override maps a host name (compared without regard to case) to a base URL. A request for that host keeps
/// its path and query and takes the base URL's scheme, host and port: with `api2.amplitude.com=http://127.0.0.1:9000`,
/// `https://api2.amplitude.com/2/httpapi` is sent to `http://127.0.0.1:9000/2/httpapi`. Tests and private relays
/// use it; nothing else changes (headers, body, signatures are the same).
public struct EndpointOverrides: Sendable, Equatable {
    /// The overrides: host name (lower case) to the scheme, host and port to use.
    public private(set) var targets: [String: Target]

    /// Where one host's requests go.
    public struct Target: Sendable, Equatable {
        /// `http` or `https`.
        public var scheme: String
        /// The host name or address.
        public var host: String
        /// The port, when the base URL gave one.
        public var port: Int?
    }

    /// Why an override cannot be used.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// What is wrong with which entry.
        public var description: String
    }

    /// No overrides.
    public init() {
        targets = [:]
    }

    /// Reads overrides, each `HOST=URL` (the form of `--endpoint-override`; `SLUICE_ENDPOINT_OVERRIDES` holds them
    /// separated by commas). A later entry for the same host wins.
    public init(parsing entries: [String]) throws(ParseError) {
        targets = [:]
        for entry in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ParseError(description: "endpoint override '\(trimmed)' is not HOST=URL")
            }
            let host = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let url = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !host.isEmpty, !host.contains("/"), !host.contains(":") else {
                throw ParseError(description: "endpoint override '\(trimmed)': HOST must be a host name, without scheme or port")
            }
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let target = components.host, !target.isEmpty,
                components.path.isEmpty || components.path == "/", components.query == nil
            else {
                throw ParseError(description: "endpoint override '\(trimmed)': URL must be http or https with a host, an optional port and no path")
            }
            targets[host] = Target(scheme: scheme, host: target, port: components.port)
        }
    }

    /// Reads the comma-separated form of `SLUICE_ENDPOINT_OVERRIDES`.
    public init(environmentValue: String) throws(ParseError) {
        try self.init(parsing: environmentValue.split(separator: ",").map(String.init))
    }

    /// Whether there are none.
    public var isEmpty: Bool { targets.isEmpty }

    /// `HOST -> URL` lines for the start-up log, sorted by host.
    public var summary: [String] {
        targets.keys.sorted().map { host in
            let target = targets[host]!
            return "\(host) -> \(target.scheme)://\(target.host)\(target.port.map { ":\($0)" } ?? "")"
        }
    }

    /// The URL a request for `url` goes to: `url` itself when its host has no override (or it does not parse).
    public func apply(to url: String) -> String {
        guard !targets.isEmpty, var components = URLComponents(string: url), let host = components.host?.lowercased(),
            let target = targets[host]
        else { return url }
        components.scheme = target.scheme
        components.host = target.host
        components.port = target.port
        return components.string ?? url
    }
}

extension DeliverySender {
    /// This sender, with each request's URL passed through `overrides` first.
    public func overriding(_ overrides: EndpointOverrides) -> DeliverySender {
        guard !overrides.isEmpty else { return self }
        // A copy of this sender with only `send` wrapped: whatever else it carries (its observer) stays as it is.
        let send = self.send
        var sender = self
        sender.send = { request in
            var request = request
            request.url = overrides.apply(to: request.url)
            return try await send(request)
        }
        return sender
    }
}
