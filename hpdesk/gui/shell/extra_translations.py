"""Chinese that neither hpdesk's .qm nor Qt's qtbase_zh_CN.qm provides: pyqtgraph's plot
menus (right-click on a plot: "View All", "X axis", "Mouse Mode", "Plot Options", "Export...")
and the few labels of Qt's own file dialog that qtbase_zh_CN lacks ("&Look in:",
"Files of &type:", the "Folder" type).

pyqtgraph builds its menus with QCoreApplication.translate under its own contexts
("ViewBox", "PlotItem", "GraphicsScene", "Form") but ships no .qm files, so they stayed
English in a Chinese window. `TableTranslator` answers from the table below; i18n.install
installs it with Qt's and hpdesk's translators. Strings not listed fall through.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTranslator

ZH_CN: dict[tuple[str, str], str] = {
    ("ViewBox", "ViewBox options"): "视图选项",
    ("ViewBox", "View All"): "显示全部",
    ("ViewBox", "axis"): "轴",
    ("ViewBox", "Mouse Mode"): "鼠标模式",
    ("ViewBox", "3 button"): "三键（拖动平移）",
    ("ViewBox", "1 button"): "单键（框选缩放）",
    ("GraphicsScene", "Export..."): "导出…",
    ("PlotItem", "Plot Options"): "绘图选项",
    ("PlotItem", "Transforms"): "变换",
    ("PlotItem", "Downsample"): "降采样",
    ("PlotItem", "Average"): "平均",
    ("PlotItem", "Alpha"): "透明度",
    ("PlotItem", "Grid"): "网格",
    ("PlotItem", "Points"): "数据点",
    # the axis panel of "X axis" / "Y axis"
    ("Form", "Link Axis:"): "联动轴：",
    ("Form", "Auto"): "自动",
    ("Form", "Manual"): "手动",
    ("Form", "Invert Axis"): "反转轴",
    ("Form", "Mouse Enabled"): "启用鼠标",
    ("Form", "Visible Data Only"): "仅可见数据",
    ("Form", "Auto Pan Only"): "仅自动平移",
    # the "Plot Options" panels
    ("Form", "Average"): "平均",
    ("Form", "Clip to View"): "裁剪到视图",
    ("Form", "Max Traces:"): "最多曲线数：",
    ("Form", "Downsample"): "降采样",
    ("Form", "Peak"): "峰值",
    ("Form", "Forget hidden traces"): "丢弃隐藏的曲线",
    ("Form", "Mean"): "均值",
    ("Form", "Subsample"): "抽样",
    ("Form", "Log X"): "对数 X",
    ("Form", "Log Y"): "对数 Y",
    ("Form", "Subtract Mean"): "减去均值",
    ("Form", "Points"): "数据点",
    ("Form", "Show X Grid"): "显示 X 网格",
    ("Form", "Show Y Grid"): "显示 Y 网格",
    ("Form", "Opacity"): "不透明度",
    ("Form", "Alpha"): "透明度",
    ("Form", "Power Spectrum (FFT)"): "功率谱（FFT）",
    # the export dialog
    ("Form", "Export"): "导出",
    ("Form", "Item to export:"): "要导出的项：",
    ("Form", "Export format"): "导出格式",
    ("Form", "Close"): "关闭",
    ("Form", "Export options"): "导出选项",
    ("Form", "Copy"): "复制",
    # Qt's own file dialog: labels with mnemonics that qtbase_zh_CN.qm does not have
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
}
TABLES = {"zh_CN": ZH_CN}


class TableTranslator(QTranslator):
    """Translates from a (context, source) table; unknown strings go to the next translator."""

    def __init__(self, table: dict[tuple[str, str], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._table = table

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        # None is a null QString: Qt then asks the other translators (an empty "" would not).
        return self._table.get((context, source))  # type: ignore[return-value]

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return not self._table


__all__ = ["TABLES", "ZH_CN", "TableTranslator"]
