using System.Text;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>A pipe table, padded so it reads well in a terminal and renders as Markdown.</summary>
internal sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        int[] widths = new int[headers.Length];
        for (int i = 0; i < headers.Length; i++) widths[i] = headers[i].Length;
        foreach (string[] row in _rows)
        {
            for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }

        var text = new StringBuilder();
        Line(text, headers, widths, left: true);
        text.Append('|');
        for (int i = 0; i < widths.Length; i++)
        {
            text.Append(i < 2 ? ' ' + new string('-', widths[i]) + " |" : ' ' + new string('-', widths[i] - 1) + ": |");
        }

        text.AppendLine();
        foreach (string[] row in _rows) Line(text, row, widths, left: false);
        return text.ToString();
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths, bool left)
    {
        text.Append('|');
        for (int i = 0; i < widths.Length; i++)
        {
            string cell = i < cells.Length ? cells[i] : string.Empty;
            text.Append(' ').Append(left || i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i])).Append(" |");
        }

        text.AppendLine();
    }
}
