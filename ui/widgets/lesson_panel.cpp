#include "widgets/lesson_panel.h"

#include "ipccore/scenario.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollArea>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace ipcui {

namespace {

QLabel* wrapped(QWidget* parent, const QString& objectName = {})
{
    auto* label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (!objectName.isEmpty())
        label->setObjectName(objectName);
    return label;
}

QLabel* sectionHeading(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    setThemedStyleSheet(
        label, [] { return QStringLiteral("color: %1; margin-top: 6px;").arg(cssColor(Colors::link())); });
    label->setWordWrap(true);
    return label;
}

} // namespace

LessonPanel::LessonPanel(LessonSession* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    m_lessonBox = new QComboBox(this);
    m_lessonBox->setObjectName(QStringLiteral("lessonPicker"));
    m_lessonBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_lessonBox->setMinimumContentsLength(16);
    m_lessonBox->setToolTip(tr("The lessons, in the order they are taught"));
    top->addWidget(m_lessonBox, 1);
    auto* open = new QToolButton(this);
    open->setText(tr("Open…"));
    open->setToolTip(tr("Open a lesson file a teacher wrote (JSON, like resources/lessons/*.json)"));
    top->addWidget(open);
    outer->addLayout(top);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // every text wraps at the panel's width
    auto* body = new QWidget(scroll);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(2, 2, 2, 2);
    m_heading = wrapped(body);
    setThemedStyleSheet(m_heading, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::secondaryText())); });
    m_title = wrapped(body, QStringLiteral("lessonTitle"));
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    layout->addWidget(m_heading);
    layout->addWidget(m_title);

    layout->addWidget(sectionHeading(tr("1  Predict: choose an answer before the run"), body));
    m_question = wrapped(body, QStringLiteral("lessonQuestion"));
    layout->addWidget(m_question);
    m_choices = new QListWidget(body);
    m_choices->setObjectName(QStringLiteral("lessonChoices"));
    m_choices->setWordWrap(true);
    m_choices->setSelectionMode(QAbstractItemView::SingleSelection);
    m_choices->setSpacing(2);
    m_choices->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_choices->installEventFilter(this);
    layout->addWidget(m_choices);

    layout->addWidget(sectionHeading(tr("2  Run it"), body));
    m_scenario = wrapped(body);
    m_scenario->setObjectName(QStringLiteral("lessonScenario"));
    layout->addWidget(m_scenario);
    m_start = new QPushButton(tr("▶  Start the lesson's run"), body);
    m_start->setObjectName(QStringLiteral("lessonStart"));
    m_start->setToolTip(
        tr("Lock your answer in, load the lesson's scenario and start it (a run going now is stopped first)"));
    layout->addWidget(m_start, 0, Qt::AlignLeft);

    layout->addWidget(sectionHeading(tr("3  Do this"), body));
    m_todo = wrapped(body, QStringLiteral("lessonTodo"));
    layout->addWidget(m_todo);

    layout->addWidget(sectionHeading(tr("4  Reveal what the run does"), body));
    m_reveal = new QPushButton(tr("Reveal"), body);
    m_reveal->setObjectName(QStringLiteral("lessonReveal"));
    layout->addWidget(m_reveal, 0, Qt::AlignLeft);
    m_result = wrapped(body, QStringLiteral("lessonResult"));
    m_result->setTextFormat(Qt::RichText);
    layout->addWidget(m_result);
    auto* buttons = new QHBoxLayout;
    m_again = new QPushButton(tr("Try again"), body);
    m_next = new QPushButton(tr("Next lesson  ▶"), body);
    m_next->setObjectName(QStringLiteral("lessonNext"));
    buttons->addWidget(m_again);
    buttons->addWidget(m_next);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    layout->addStretch(1);
    scroll->setWidget(body);
    outer->addWidget(scroll, 1);
    m_score = new QLabel(this);
    m_score->setObjectName(QStringLiteral("lessonScore"));
    outer->addWidget(m_score);

    connect(m_lessonBox, &QComboBox::activated, m_session, &LessonSession::setIndex);
    connect(open, &QToolButton::clicked, this, &LessonPanel::openFile);
    connect(m_start, &QPushButton::clicked, this, [this] {
        m_session->lockIn(); // predicted before anything of the run is on the screen
        emit startRequested(QString::fromStdString(m_session->current().scenario));
    });
    connect(m_choices, &QListWidget::currentRowChanged, m_session, &LessonSession::choose);
    connect(m_reveal, &QPushButton::clicked, m_session, &LessonSession::reveal);
    connect(m_again, &QPushButton::clicked, m_session, &LessonSession::tryAgain);
    connect(m_next, &QPushButton::clicked, this, [this] { m_session->setIndex(m_session->index() + 1); });
    connect(m_session, &LessonSession::changed, this, &LessonPanel::refresh);
    refillLessons();
    refresh();
}

// As tall as its choices, wrapped at the list's width: no empty box below them, no scroll bar.
void LessonPanel::fitChoices()
{
    int height = 2 * m_choices->frameWidth() + 2 * m_choices->spacing();
    for (int i = 0; i < m_choices->count(); ++i)
        height += m_choices->visualItemRect(m_choices->item(i)).height() + 2 * m_choices->spacing();
    height = std::max(height, m_choices->fontMetrics().lineSpacing() * 3);
    if (height != m_choices->height())
        m_choices->setFixedHeight(height);
}

bool LessonPanel::eventFilter(QObject* watched, QEvent* event)
{
    // A narrower or wider panel wraps the choices again.
    if (watched == m_choices && event->type() == QEvent::Resize
        && static_cast<QResizeEvent*>(event)->oldSize().width() != m_choices->width())
        QTimer::singleShot(0, this, &LessonPanel::fitChoices);
    return QWidget::eventFilter(watched, event);
}

void LessonPanel::refillLessons()
{
    m_lessonBox->clear();
    for (int i = 0; i < m_session->count(); ++i) {
        const ipccore::Lesson& l = m_session->lesson(i);
        m_lessonBox->addItem(tr("%1. %2").arg(i + 1).arg(QString::fromStdString(l.title)));
    }
}

void LessonPanel::openFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a lesson"), QString(), tr("Lesson files (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    const QString problem = m_session->openFile(path);
    if (!problem.isEmpty()) {
        emit errorOccurred(problem);
        return;
    }
    refillLessons();
    refresh();
}

void LessonPanel::refresh()
{
    if (m_session->count() == 0)
        return;
    const ipccore::Lesson& l = m_session->current();
    const LessonSession::Phase phase = m_session->phase();
    if (m_lessonBox->count() != m_session->count())
        refillLessons();
    m_lessonBox->setCurrentIndex(m_session->index());
    if (m_shownIndex != m_session->index() || m_choices->count() != int(l.choices.size())) {
        m_shownIndex = m_session->index();
        m_heading->setText(
            tr("Lesson %1 of %2%3")
                .arg(m_session->index() + 1)
                .arg(m_session->count())
                .arg(l.topic.empty() ? QString() : QStringLiteral("  ·  ") + QString::fromStdString(l.topic)));
        m_title->setText(QString::fromStdString(l.title));
        // As the window's picker names it (its title), with the name a scenario file or the CLI uses.
        QString scenario = QString::fromStdString(l.scenario);
        for (const ipccore::BundledScenario& b : ipccore::bundledScenarios())
            if (b.name == l.scenario && !b.title.empty())
                scenario = tr("%1 (%2)").arg(QString::fromStdString(b.title), scenario);
        m_scenario->setText(tr("Scenario: %1").arg(scenario));
        m_todo->setText(QString::fromStdString(l.todo));
        m_question->setText(QString::fromStdString(l.question));
        const QSignalBlocker block(m_choices);
        m_choices->clear();
        for (std::size_t i = 0; i < l.choices.size(); ++i)
            m_choices->addItem(QString());
    }
    {
        // Before the answer is locked in, a plain selection. After, no selection (its highlight would hide the
        // colours): the answer chosen in blue until the reveal, then the run's answer in green, a wrong pick in red.
        const QSignalBlocker block(m_choices);
        const bool open = phase == LessonSession::Phase::Predict && !m_session->locked();
        m_choices->setSelectionMode(open ? QAbstractItemView::SingleSelection : QAbstractItemView::NoSelection);
        // Said, since clicks on a locked list do nothing.
        m_choices->setToolTip(phase != LessonSession::Phase::Revealed && !open
                ? tr("Your answer is locked in: it was given before the run showed anything. Reveal reads the "
                     "answer from the run; Try again starts the lesson over.")
                : QString());
        if (open)
            m_choices->setCurrentRow(m_session->chosen());
        else
            m_choices->clearSelection();
        for (int i = 0; i < m_choices->count(); ++i) {
            QListWidgetItem* item = m_choices->item(i);
            QString text = QStringLiteral("%1)  %2")
                               .arg(QChar('A' + i))
                               .arg(QString::fromStdString(l.choices[std::size_t(i)].text));
            QBrush background;
            QFont font = m_choices->font();
            const bool mine = m_session->chosen() == i;
            if (phase == LessonSession::Phase::Revealed && m_session->answer() == i) {
                text += mine ? tr("   ✓ your answer, and what the run did") : tr("   ✓ what the run did");
                background = QColor(0xa5, 0xd6, 0xa7);
                font.setBold(true);
            } else if (phase == LessonSession::Phase::Revealed && mine) {
                text += tr("   ✗ your answer");
                background = QColor(0xff, 0xab, 0x91);
                font.setBold(true);
            } else if (!open && mine) {
                text += tr("   ◀ your answer, locked in");
                background = QColor(0xbb, 0xde, 0xfb);
            }
            item->setText(text);
            item->setBackground(background);
            // Black on the pale marks; the palette's text elsewhere (light on the dark theme).
            item->setForeground(background.style() == Qt::NoBrush ? QBrush() : QBrush(Qt::black));
            item->setFont(font);
        }
    }
    QTimer::singleShot(0, this, &LessonPanel::fitChoices); // once the list has laid out its new rows
    m_reveal->setEnabled(phase == LessonSession::Phase::Predict && m_session->chosen() >= 0);
    m_reveal->setToolTip(m_session->chosen() < 0 ? tr("Choose an answer first") : tr("Read the answer from the run"));
    m_start->setEnabled(m_session->chosen() >= 0);
    const QString scenario = QString::fromStdString(l.scenario);
    const bool running = m_session->runScenario() == scenario;
    m_start->setText(running ? tr("↻  Restart the lesson's run") : tr("▶  Start the lesson's run"));
    if (m_session->chosen() < 0)
        m_start->setToolTip(tr("Choose your answer first: the run shows what happens"));
    QString result;
    switch (phase) {
    case LessonSession::Phase::Predict:
        result = m_session->chosen() < 0 ? tr("Choose the answer you expect, then start the run.")
            : !running                   ? tr("Start the run, do what step 3 says, then press Reveal.")
                       : tr("Do what step 3 says, then press Reveal: the panel waits for the run to show the answer.");
        break;
    case LessonSession::Phase::Waiting:
        result = tr("<i>Waiting for the run: %1</i>").arg(m_session->waitingFor().toHtmlEscaped());
        break;
    case LessonSession::Phase::Revealed: {
        const QString observed = m_session->observed().toHtmlEscaped();
        if (!m_session->answer())
            result = tr("The run shows <b>%1</b>, which fits none of the choices: the lesson's ranges leave a gap. "
                        "Not scored.")
                         .arg(observed);
        else {
            const QString answer
                = QString::fromStdString(l.choices[std::size_t(*m_session->answer())].text).toHtmlEscaped();
            result
                = (m_session->right() ? tr("<p><b style='color:%1'>Right.</b> ").arg(cssColor(Colors::ok()))
                                      : tr("<p><b style='color:%1'>Not this time.</b> ").arg(cssColor(Colors::error())))
                + tr("At %1 s the run showed <b>%2</b>: “%3”.</p>")
                      .arg(m_session->observedAt(), 0, 'f', 1)
                      .arg(observed, answer);
        }
        result += QStringLiteral("<p>") + QString::fromStdString(l.explain).toHtmlEscaped() + QStringLiteral("</p>");
        break;
    }
    }
    m_result->setText(result);
    m_again->setVisible(phase != LessonSession::Phase::Predict || m_session->locked());
    m_next->setEnabled(m_session->index() + 1 < m_session->count());
    m_score->setText(m_session->answered() == 0
            ? tr("Score: nothing answered yet")
            : tr("Score: %1 of %2 right").arg(m_session->rightCount()).arg(m_session->answered()));
}

} // namespace ipcui
