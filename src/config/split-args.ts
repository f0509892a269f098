/**
 * Splits a command line into words the way a user expects from a shell, without a shell: blanks
 * separate words, 'single quotes' are literal, "double quotes" allow \" and \\, and a backslash
 * outside quotes keeps the next character. Nothing is expanded.
 */
export function splitArgs(line: string): string[] {
  const unmatched = () => new RangeError(`expected arguments with matching quotes, got ${JSON.stringify(line)}`)
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }

    inWord = true
    if (ch === "'") {
      const end = line.indexOf("'", i + 1)
      if (end === -1) throw unmatched()
      word += line.slice(i + 1, end)
      i = end
    } else if (ch === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++
        word += line[j]
      }

      if (j >= line.length) throw unmatched()
      i = j
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i]
    } else {
      word += ch
    }
  }

  if (inWord) words.push(word)
  return words
}
