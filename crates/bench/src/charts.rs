//! Hand-written SVG for the benchmark report: the shared frame (title, axes, grid, legend,
//! escaping, tick choice) used by the line chart ([`crate::charts_line`]) and the bar chart
//! ([`crate::charts_bar`]). No scripts, no external references: each file stands alone.

use std::fmt::Write as _;

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 360.0;
/// The plot area inside the frame: room on the left for tick labels and the y label, on top
/// for the title and legend, below for tick labels and the x label.
pub const PLOT_LEFT: f64 = 84.0;
pub const PLOT_RIGHT: f64 = WIDTH - 24.0;
pub const PLOT_TOP: f64 = 64.0;
pub const PLOT_BOTTOM: f64 = HEIGHT - 56.0;

/// Series colours, in order (colour-blind safe, Okabe–Ito).
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
];

pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// Escapes text for an SVG text node or attribute value.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 text.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Up to about `target` evenly spaced "nice" tick values (steps of 1, 2 or 5 × 10ⁿ) from 0
/// to at least `max`. The last tick is the axis' top.
pub fn nice_ticks(max: f64, target: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw_step = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw_step)
        .unwrap_or(10.0 * magnitude);
    let count = (max / step - 1e-9).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// A short tick label: 950, 1.5k, 12k, 2.5M.
pub fn short_number(value: f64) -> String {
    let abs = value.abs();
    let (scaled, suffix) = if abs >= 1e9 {
        (value / 1e9, "G")
    } else if abs >= 1e6 {
        (value / 1e6, "M")
    } else if abs >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = if scaled.fract().abs() < 1e-9 {
        format!("{scaled:.0}")
    } else if scaled.abs() < 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.0}")
    };
    format!("{text}{suffix}")
}

/// An SVG document being written: the frame, then the chart's own marks, then `finish`.
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens the document with a white background and the title.
    pub fn new(title: &str) -> Self {
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(out, "<title>{}</title>", escape(title));
        let _ = writeln!(
            out,
            r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
            WIDTH / 2.0,
            escape(title)
        );
        Self { out }
    }

    pub fn push(&mut self, element: &str) {
        self.out.push_str(element);
        self.out.push('\n');
    }

    /// Horizontal grid lines with their labels at `ticks` (the last one is the axis' top),
    /// the y axis label (rotated) and the x axis label.
    pub fn axes(&mut self, ticks: &[f64], y_label: &str, x_label: &str) {
        let top = ticks.last().copied().unwrap_or(1.0);
        for tick in ticks {
            let y = y_position(*tick, top);
            self.push(&format!(
                r##"<line x1="{PLOT_LEFT}" y1="{y:.1}" x2="{PLOT_RIGHT}" y2="{y:.1}" stroke="#dddddd"/>"##
            ));
            self.push(&format!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
                PLOT_LEFT - 6.0,
                y + 4.0,
                escape(&short_number(*tick))
            ));
        }
        self.push(&format!(
            r##"<line x1="{PLOT_LEFT}" y1="{PLOT_TOP}" x2="{PLOT_LEFT}" y2="{PLOT_BOTTOM}" stroke="#333333"/>"##
        ));
        self.push(&format!(
            r##"<line x1="{PLOT_LEFT}" y1="{PLOT_BOTTOM}" x2="{PLOT_RIGHT}" y2="{PLOT_BOTTOM}" stroke="#333333"/>"##
        ));
        let middle_y = (PLOT_TOP + PLOT_BOTTOM) / 2.0;
        self.push(&format!(
            r#"<text x="18" y="{middle_y:.1}" text-anchor="middle" transform="rotate(-90 18 {middle_y:.1})" class="axis-label">{}</text>"#,
            escape(y_label)
        ));
        self.push(&format!(
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis-label">{}</text>"#,
            (PLOT_LEFT + PLOT_RIGHT) / 2.0,
            HEIGHT - 12.0,
            escape(x_label)
        ));
    }

    /// One row of coloured swatches and names under the title.
    pub fn legend(&mut self, names: &[&str]) {
        let mut x = PLOT_LEFT;
        for (index, name) in names.iter().enumerate() {
            self.push(&format!(
                r#"<rect x="{x:.1}" y="36" width="12" height="12" fill="{}"/>"#,
                colour(index)
            ));
            self.push(&format!(
                r#"<text x="{:.1}" y="46" class="legend">{}</text>"#,
                x + 16.0,
                escape(name)
            ));
            x += 28.0 + 7.0 * name.chars().count() as f64;
        }
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// The y coordinate of `value` on an axis from 0 to `top`.
pub fn y_position(value: f64, top: f64) -> f64 {
    let share = if top > 0.0 { value / top } else { 0.0 };
    PLOT_BOTTOM - share.clamp(0.0, 1.0) * (PLOT_BOTTOM - PLOT_TOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_drops_control_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("bell\u{7}ed"), "belled");
        assert_eq!(escape("p99 ≤ 5 s"), "p99 ≤ 5 s");
    }

    #[test]
    fn ticks_are_round_and_reach_the_maximum() {
        let close = |ticks: Vec<f64>, expected: &[f64]| {
            assert_eq!(ticks.len(), expected.len(), "{ticks:?}");
            for (tick, want) in ticks.iter().zip(expected) {
                assert!((tick - want).abs() < 1e-9, "{ticks:?} != {expected:?}");
            }
        };
        close(nice_ticks(12_667.0, 5), &[0.0, 5e3, 10e3, 15e3]);
        close(nice_ticks(100.0, 5), &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        close(nice_ticks(0.7, 4), &[0.0, 0.2, 0.4, 0.6, 0.8]);
        close(nice_ticks(0.0, 5), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        close(nice_ticks(f64::NAN, 5), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    }

    #[test]
    fn short_numbers_use_suffixes() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(950.0), "950");
        assert_eq!(short_number(1_500.0), "1.5k");
        assert_eq!(short_number(12_000.0), "12k");
        assert_eq!(short_number(2_500_000.0), "2.5M");
        assert_eq!(short_number(0.5), "0.5");
    }

    #[test]
    fn values_map_inside_the_plot() {
        assert_eq!(y_position(0.0, 10.0), PLOT_BOTTOM);
        assert_eq!(y_position(10.0, 10.0), PLOT_TOP);
        assert_eq!(y_position(50.0, 10.0), PLOT_TOP);
        assert_eq!(y_position(-1.0, 10.0), PLOT_BOTTOM);
    }
}
