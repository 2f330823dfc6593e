extension StringProtocol {
    /// Without leading and trailing blanks (spaces, tabs, carriage returns).
    var trimmedBlank: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
