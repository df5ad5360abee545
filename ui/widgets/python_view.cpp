#include "widgets/python_view.h"

#include "model/process_table_model.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBlock>
#include <QVBoxLayout>

namespace ipcui {

namespace {
const QColor MarkBackground(255, 236, 153); // a highlighter's yellow: readable in black, on a projector too
const QColor MarkText(120, 60, 0); // on the highlighter, in both themes
} // namespace

PythonText::PythonText(QWidget* parent)
    : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
}

void PythonText::setMarks(const std::map<int, QStringList>& marks)
{
    if (marks == m_marks)
        return;
    m_marks = marks;
    QList<QTextEdit::ExtraSelection> selections;
    for (const auto& [line, names] : m_marks) {
        QTextEdit::ExtraSelection s;
        s.format.setBackground(MarkBackground);
        s.format.setForeground(QColor(Qt::black)); // the dark theme's light text would vanish on the yellow
        s.format.setProperty(QTextFormat::FullWidthSelection, true);
        s.cursor = QTextCursor(document()->findBlockByNumber(line - 1));
        selections << s;
    }
    setExtraSelections(selections);
    viewport()->update();
}

void PythonText::paintEvent(QPaintEvent* event)
{
    QPlainTextEdit::paintEvent(event);
    if (m_marks.empty())
        return;
    QPainter painter(viewport());
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(MarkText);
    const QFontMetrics fm(bold);
    for (const auto& [line, names] : m_marks) {
        const QTextBlock block = document()->findBlockByNumber(line - 1);
        if (!block.isValid())
            continue;
        const QRectF box = blockBoundingGeometry(block).translated(contentOffset());
        if (box.bottom() < 0 || box.top() > viewport()->height())
            continue;
        // After the line's own text, or at the right edge when the line is long: "◀ adder-1, adder-3".
        const int textEnd = int(box.left()) + fm.horizontalAdvance(block.text()) + fm.averageCharWidth() * 3;
        const QString label = QStringLiteral("◀ ") + names.join(QStringLiteral(", "));
        const int x = std::max(textEnd, viewport()->width() - fm.horizontalAdvance(label) - 8);
        painter.drawText(QRectF(x, box.top(), viewport()->width() - x, box.height()), Qt::AlignVCenter, label);
    }
}

PythonView::PythonView(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    auto* caption = new QLabel(this);
    caption->setWordWrap(true);
    caption->setText(tr("The scenario as a Python program: multiprocessing from the standard library, one function "
                        "per kind of process, one line per step. While it runs, each process is named beside the "
                        "line it is on (in step mode: the line it runs when stepped next). Run it yourself with "
                        "<tt>python3 FILE</tt>."));
    bar->addWidget(caption, 1);
    auto* copy = new QPushButton(tr("Copy"), this);
    copy->setObjectName(QStringLiteral("copyPython"));
    copy->setToolTip(tr("Copy the whole program to the clipboard"));
    bar->addWidget(copy, 0, Qt::AlignTop);
    layout->addLayout(bar);
    m_text = new PythonText(this);
    m_text->setObjectName(QStringLiteral("pythonText"));
    layout->addWidget(m_text, 1);
    connect(copy, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(programText());
        emit notice(tr("Copied the Python program (%n line(s)) to the clipboard", nullptr,
            int(std::count(m_program.text.begin(), m_program.text.end(), '\n'))));
    });
}

void PythonView::setScenario(const ipccore::Scenario& scenario)
{
    m_program = ipccore::pythonProgram(scenario);
    m_workers.clear();
    m_programs.clear();
    for (const ipccore::WorkerSpec& w : scenario.workers) {
        m_workers.push_back(w.name);
        m_programs.push_back(w.program);
    }
    const int scroll = m_text->verticalScrollBar()->value();
    m_text->setPlainText(QString::fromStdString(m_program.text));
    m_text->verticalScrollBar()->setValue(scroll);
    m_text->setMarks({});
}

void PythonView::setSnapshot(const ipccore::Snapshot& snapshot)
{
    std::map<int, QStringList> marks;
    for (const ipccore::WorkerStatus& w : snapshot.workers) {
        if (!w.alive)
            continue;
        // Workers added during the run have no function of their own: they are not marked.
        const auto at = std::find(m_workers.begin(), m_workers.end(), w.name);
        if (at == m_workers.end())
            continue;
        const std::vector<int>& lines = m_program.stepLines[std::size_t(at - m_workers.begin())];
        const std::size_t step = w.atGate ? w.gateStep : w.role == ipccore::Role::Program ? w.stepIndex : 0;
        if (step >= lines.size() || lines[step] <= 0)
            continue;
        // Between its read and its write: the x it holds, so two processes about to write the same x + 1 show it.
        const ipccore::ProgramSteps& program = m_programs[std::size_t(at - m_workers.begin())];
        const bool usesX = w.atGate && ProcessTableModel::holdsRegister(program, step);
        marks[lines[step]] << (usesX ? tr("%1 (x = %2)").arg(QString::fromStdString(w.name)).arg(w.registerValue)
                                     : QString::fromStdString(w.name));
    }
    m_text->setMarks(marks);
}

void PythonView::clearMarks()
{
    m_text->setMarks({});
}

} // namespace ipcui
