<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AdvicePanel</name>
    <message>
        <source>Advice on the plan</source>
        <translation>对计划的建议</translation>
    </message>
    <message>
        <source>Advice</source>
        <translation>建议</translation>
    </message>
    <message>
        <source>Reading the trials&apos; results</source>
        <translation>读取试验结果</translation>
    </message>
    <message>
        <source>Counting the samples of each class</source>
        <translation>统计各类别的样本数量</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>%1 problem(s) to fix before the plan can run</source>
        <translation>计划运行前需要修正 %1 个问题</translation>
    </message>
    <message>
        <source>%1 error(s)</source>
        <translation>%1 个错误</translation>
    </message>
    <message>
        <source>%1 warning(s)</source>
        <translation>%1 个警告</translation>
    </message>
    <message>
        <source>%1 note(s)</source>
        <translation>%1 条提示</translation>
    </message>
    <message>
        <source>No findings: no rule of the tuning guide objects to this plan.</source>
        <translation>没有发现问题：调参指南的规则对这个计划没有异议。</translation>
    </message>
    <message>
        <source>Each change to the plan is checked against the tuning guide (Help → Tuning guide): ranges outside its recommendations, settings that clash, values that cannot train. What it finds is listed here.</source>
        <translation>对计划的每次修改都会对照调参指南（帮助 → 调参指南）进行检查：超出推荐范围的取值范围、相互冲突的设置、无法训练的数值。检查结果列在这里。</translation>
    </message>
    <message>
        <source>Cannot run</source>
        <translation>无法运行</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>出处：%1</translation>
    </message>
</context>
<context>
    <name>ArgumentsPage</name>
    <message>
        <source>How your script gets the parameters</source>
        <translation>脚本如何获得参数</translation>
    </message>
    <message>
        <source>Match what your script reads, such as its argparse flags. The command below is what one trial will run.</source>
        <translation>与脚本读取参数的方式保持一致，例如它的 argparse 选项。下方的命令就是一个试验将运行的命令。</translation>
    </message>
    <message>
        <source>Only the {name} placeholders you write in the command are replaced, e.g. python train.py --lr {lr}.</source>
        <translation>只替换你在命令中写出的 {name} 占位符，例如 python train.py --lr {lr}。</translation>
    </message>
    <message>
        <source>Every parameter is added at the end as two arguments: --name value.</source>
        <translation>每个参数以两个命令行参数的形式追加到末尾：--name value。</translation>
    </message>
    <message>
        <source>Every parameter is added at the end as one argument: --name=value.</source>
        <translation>每个参数以一个命令行参数的形式追加到末尾：--name=value。</translation>
    </message>
    <message>
        <source>Every parameter is added at the end as name=value, the override syntax of Hydra.</source>
        <translation>每个参数以 name=value 的形式追加到末尾，即 Hydra 的覆盖语法。</translation>
    </message>
    <message>
        <source>The parameters are written to a JSON file and --params FILE is added (or write {params_file} where the path should go).</source>
        <translation>参数写入一个 JSON 文件，并追加 --params FILE（也可以在命令中需要该路径的位置写 {params_file}）。</translation>
    </message>
    <message>
        <source>Nothing is added: the script reads the parameters as JSON from the HPDESK_PARAMS environment variable (hpdesk.sdk.params() does this).</source>
        <translation>不追加任何内容：脚本从环境变量 HPDESK_PARAMS 中读取 JSON 格式的参数（hpdesk.sdk.params() 会完成这一步）。</translation>
    </message>
    <message>
        <source>Placeholders in the command</source>
        <translation>命令中的占位符</translation>
    </message>
    <message>
        <source>Flags: --name value</source>
        <translation>命令行选项：--name value</translation>
    </message>
    <message>
        <source>Flags: --name=value</source>
        <translation>命令行选项：--name=value</translation>
    </message>
    <message>
        <source>Hydra overrides: name=value</source>
        <translation>Hydra 覆盖：name=value</translation>
    </message>
    <message>
        <source>A JSON file: --params FILE</source>
        <translation>JSON 文件：--params FILE</translation>
    </message>
    <message>
        <source>Environment variable HPDESK_PARAMS</source>
        <translation>环境变量 HPDESK_PARAMS</translation>
    </message>
    <message>
        <source>--tied or nothing (argparse store_true)</source>
        <translation>--tied 或不写（argparse store_true）</translation>
    </message>
    <message>
        <source>--tied or --no-tied (argparse BooleanOptionalAction)</source>
        <translation>--tied 或 --no-tied（argparse BooleanOptionalAction）</translation>
    </message>
    <message>
        <source>How parameters are passed</source>
        <translation>参数的传递方式</translation>
    </message>
    <message>
        <source>How flag names are written</source>
        <translation>选项名的写法</translation>
    </message>
    <message>
        <source>As the parameter is named: --batch_size</source>
        <translation>与参数名相同：--batch_size</translation>
    </message>
    <message>
        <source>With dashes: --batch-size</source>
        <translation>用连字符：--batch-size</translation>
    </message>
    <message>
        <source>How true/false values are written</source>
        <translation>布尔值（true/false）的写法</translation>
    </message>
    <message>
        <source>Uncheck a parameter your script does not take: it still informs the advice (such as an optimiser the script hard-codes). Type a flag where the script&apos;s differs.</source>
        <translation>取消勾选脚本不接受的参数：它仍会用于建议（例如脚本中写死的优化器）。脚本的选项名不同时，请填写它的选项名。</translation>
    </message>
    <message>
        <source>Command of one example trial</source>
        <translation>示例试验的命令</translation>
    </message>
    <message>
        <source>&amp;Parameters:</source>
        <translation>参数(&amp;P)：</translation>
    </message>
    <message>
        <source>Flag &amp;names:</source>
        <translation>选项名(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;True/false values:</source>
        <translation>布尔值(&amp;T)：</translation>
    </message>
    <message>
        <source>Each parameter:</source>
        <translation>各个参数：</translation>
    </message>
    <message>
        <source>One trial will run (example values):</source>
        <translation>单个试验将运行（示例取值）：</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>{%1} names no parameter of the plan: the script gets it as written.</source>
        <translation>{%1} 不是计划中的参数：脚本会原样收到它。</translation>
    </message>
    <message>
        <source>The command has no {name} placeholders, so the script gets its parameters only from the HPDESK_PARAMS environment variable.</source>
        <translation>命令中没有 {name} 占位符，因此脚本只能从环境变量 HPDESK_PARAMS 获取参数。</translation>
    </message>
    <message>
        <source>The flag of %1 cannot contain spaces or =.</source>
        <translation>%1 的选项不能包含空格或 =。</translation>
    </message>
</context>
<context>
    <name>ArgumentsTable</name>
    <message>
        <source>How each parameter is passed</source>
        <translation>每个参数的传递方式</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Passed</source>
        <translation>传递</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>True/false</source>
        <translation>布尔值</translation>
    </message>
    <message>
        <source>%1 is passed to the script</source>
        <translation>将 %1 传给脚本</translation>
    </message>
    <message>
        <source>Flag of %1</source>
        <translation>%1 的选项</translation>
    </message>
    <message>
        <source>True/false style of %1</source>
        <translation>%1 的布尔值写法</translation>
    </message>
    <message>
        <source>plan default</source>
        <translation>计划默认</translation>
    </message>
</context>
<context>
    <name>Background</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>A background task failed: %1</source>
        <translation>后台任务失败：%1</translation>
    </message>
</context>
<context>
    <name>ClusterSettings</name>
    <message>
        <source>Where trials run</source>
        <translation>试验运行位置</translation>
    </message>
    <message>
        <source>Executor</source>
        <translation>执行器</translation>
    </message>
    <message>
        <source>Run trials as processes of this computer, or as jobs of a Ray cluster</source>
        <translation>试验作为本机的进程运行，或作为 Ray 集群的作业运行</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Ray cluster</source>
        <translation>Ray 集群</translation>
    </message>
    <message>
        <source>local starts a private Ray head on this computer for the run; or the cluster&apos;s job server, e.g. http://head:8265</source>
        <translation>local 会为这次运行在本机启动一个私有的 Ray 头节点；也可以填集群的作业服务器，例如 http://head:8265</translation>
    </message>
    <message>
        <source>Ray cluster address</source>
        <translation>Ray 集群地址</translation>
    </message>
    <message>
        <source>local, or http://head:8265</source>
        <translation>local，或 http://head:8265</translation>
    </message>
    <message>
        <source>CPUs per trial</source>
        <translation>每个试验的 CPU 数</translation>
    </message>
    <message>
        <source>The CPUs the cluster sets aside for each trial</source>
        <translation>集群为每个试验预留的 CPU 数</translation>
    </message>
    <message>
        <source>GPUs per trial</source>
        <translation>每个试验的 GPU 数</translation>
    </message>
    <message>
        <source>The GPUs each trial asks for: 0.5 lets two trials share one GPU</source>
        <translation>每个试验申请的 GPU 数：0.5 表示两个试验共用一块 GPU</translation>
    </message>
    <message>
        <source>Runtime env and access</source>
        <translation>运行环境与访问</translation>
    </message>
    <message>
        <source>Packages the trials need on the cluster, and the files that let hpdesk in</source>
        <translation>试验在集群上需要的软件包，以及让 hpdesk 接入集群的文件</translation>
    </message>
    <message>
        <source>pip requirements</source>
        <translation>pip 依赖</translation>
    </message>
    <message>
        <source>Installed for the trials by Ray, comma-separated: torch&gt;=2.2, timm (or a conda env, not both)</source>
        <translation>由 Ray 为试验安装，用逗号分隔：torch&gt;=2.2, timm（或者用 conda 环境，二者只能选一）</translation>
    </message>
    <message>
        <source>none (e.g. torch&gt;=2.2, timm)</source>
        <translation>无（例如 torch&gt;=2.2, timm）</translation>
    </message>
    <message>
        <source>conda env</source>
        <translation>conda 环境</translation>
    </message>
    <message>
        <source>The name of a conda env on the cluster&apos;s machines</source>
        <translation>集群机器上一个 conda 环境的名称</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Auth token file</source>
        <translation>认证令牌文件</translation>
    </message>
    <message>
        <source>A file holding the cluster&apos;s token (else Ray&apos;s RAY_AUTH_TOKEN or ~/.ray/auth_token)</source>
        <translation>存有集群令牌的文件（不填则用 Ray 的 RAY_AUTH_TOKEN 或 ~/.ray/auth_token）</translation>
    </message>
    <message>
        <source>CA file</source>
        <translation>CA 证书文件</translation>
    </message>
    <message>
        <source>The certificate authority of a cluster whose certificate no system authority signed</source>
        <translation>集群证书不是由系统信任的机构签发时，所用的证书颁发机构（CA）文件</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>pip</source>
        <translation>pip 依赖</translation>
    </message>
    <message>
        <source>Auth token</source>
        <translation>认证令牌</translation>
    </message>
    <message>
        <source>Not used on a Ray cluster: the cluster places each trial by its CPUs and GPUs per trial (Where trials run).</source>
        <translation>在 Ray 集群上不使用：集群按每个试验的 CPU 数和 GPU 数安排试验（见“试验运行位置”）。</translation>
    </message>
    <message>
        <source>%1 trial(s) at a time, each asking the Ray cluster for %2 CPU(s) and %3 GPU(s).</source>
        <translation>同时运行 %1 个试验，每个试验向 Ray 集群申请 %2 个 CPU 和 %3 个 GPU。</translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
</context>
<context>
    <name>CommandConfirmDialog</name>
    <message>
        <source>Run what this plan runs?</source>
        <extracomment>What the person allowed in this session (fingerprints of command, folder and env).</extracomment>
        <translation>运行此计划中的命令吗？</translation>
    </message>
    <message>
        <source>The plan %1 runs this on your computer, with your rights. Each trial starts (parameters as in its first trial):</source>
        <translation>计划 %1 会以你的权限在这台电脑上运行以下内容。每个试验启动的命令（参数以第一个试验为例）：</translation>
    </message>
    <message>
        <source>What the plan runs</source>
        <translation>计划运行的命令</translation>
    </message>
    <message>
        <source>Allow it only if you trust where the plan comes from: a command can read, change or send anything your account can.</source>
        <translation>只有在信任计划来源时才允许：命令可以读取、修改或发送你的账户能访问的任何内容。</translation>
    </message>
    <message>
        <source>Allow and open</source>
        <translation>允许并打开</translation>
    </message>
    <message>
        <source>Allow the plan&apos;s command and open the plan</source>
        <translation>允许计划中的命令并打开计划</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Do not open the plan</source>
        <translation>不打开此计划</translation>
    </message>
    <message>
        <source>each trial in a folder of its own, filled from %1</source>
        <translation>每个试验在自己的文件夹中运行，内容取自 %1</translation>
    </message>
    <message>
        <source>in %1</source>
        <translation>在 %1 中</translation>
    </message>
    <message>
        <source>with these environment variables:</source>
        <translation>使用这些环境变量：</translation>
    </message>
    <message>
        <source>(from your environment)</source>
        <translation>（取自你的环境）</translation>
    </message>
</context>
<context>
    <name>CommandPreview</name>
    <message>
        <source>the project folder</source>
        <translation>项目文件夹</translation>
    </message>
    <message>
        <source># in %1, a folder of its own filled from %2</source>
        <translation># 在 %1 中运行：试验自己的文件夹，内容来自 %2</translation>
    </message>
    <message>
        <source># in %1</source>
        <translation># 工作目录：%1</translation>
    </message>
    <message>
        <source># with the parameters in the environment:</source>
        <translation># 参数通过环境变量传入：</translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>（不加参数）</translation>
    </message>
    <message>
        <source># %1: %2 when true, %3 when false</source>
        <translation># %1：true → %2，false → %3</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Summary of the trials</source>
        <translation>试验概况</translation>
    </message>
    <message>
        <source>Show trials that did not complete</source>
        <translation>显示未完成的试验</translation>
    </message>
    <message>
        <source>Failed, pruned, running and queued trials, drawn in grey.</source>
        <translation>失败、已剪枝、运行中和排队中的试验，以灰色绘制。</translation>
    </message>
    <message>
        <source>Export image…</source>
        <translation>导出图片…</translation>
    </message>
    <message>
        <source>Export the current plot as an image</source>
        <translation>将当前图表导出为图片</translation>
    </message>
    <message>
        <source>Comparison views</source>
        <translation>对比视图</translation>
    </message>
    <message>
        <source>Parallel coordinates</source>
        <translation>平行坐标</translation>
    </message>
    <message>
        <source>Slices</source>
        <translation>切片图</translation>
    </message>
    <message>
        <source>Importance</source>
        <translation>重要性</translation>
    </message>
    <message>
        <source>Pareto front</source>
        <translation>帕累托前沿</translation>
    </message>
    <message>
        <source>Population</source>
        <translation>种群</translation>
    </message>
    <message>
        <source>Every trial as a line across its parameters and its objective</source>
        <translation>每个试验画成一条折线，依次穿过各参数和目标值</translation>
    </message>
    <message>
        <source>The objective against each parameter</source>
        <translation>目标值随各参数的变化</translation>
    </message>
    <message>
        <source>Which parameters mattered, beside the tuning guide&apos;s tiers</source>
        <translation>哪些参数影响最大，并与调参指南的梯队对照</translation>
    </message>
    <message>
        <source>The trials no other trial beats on every objective; for plans with several objectives</source>
        <translation>在所有目标上都没有被其他试验超越的试验；适用于有多个目标的计划</translation>
    </message>
    <message>
        <source>Who copied whom, and each member&apos;s hyperparameters over the epochs; for population-based training</source>
        <translation>谁复制了谁，以及每个成员的超参数随轮次的变化；适用于基于种群的训练</translation>
    </message>
    <message>
        <source>No trials to compare yet.</source>
        <translation>还没有可对比的试验。</translation>
    </message>
    <message>
        <source>%1 trials, %2 completed with %3.</source>
        <translation>共 %1 个试验，其中 %2 个已完成并得到 %3。</translation>
    </message>
    <message>
        <source>higher is better</source>
        <translation>越高越好</translation>
    </message>
    <message>
        <source>lower is better</source>
        <translation>越低越好</translation>
    </message>
    <message>
        <source>Best: trial %1 with %2 (%3), drawn in orange.</source>
        <translation>最佳：试验 %1，取值 %2（%3），以橙色绘制。</translation>
    </message>
    <message>
        <source>Export image</source>
        <translation>导出图片</translation>
    </message>
    <message>
        <source>PNG image (*.png);;SVG drawing (*.svg)</source>
        <translation>PNG 图片 (*.png);;SVG 矢量图 (*.svg)</translation>
    </message>
</context>
<context>
    <name>CurveControls</name>
    <message>
        <source>Metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>The metric drawn for every trial</source>
        <translation>为每个试验绘制的指标</translation>
    </message>
    <message>
        <source>X axis</source>
        <translation>X 轴</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>轮次（epoch）</translation>
    </message>
    <message>
        <source>Wall time (s)</source>
        <translation>实际耗时（秒）</translation>
    </message>
    <message>
        <source>Log y</source>
        <translation>对数 Y 轴</translation>
    </message>
    <message>
        <source>Logarithmic y axis</source>
        <translation>Y 轴使用对数刻度</translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Exponential moving average, as TensorBoard draws it, with the raw points faint behind; each metric keeps its own weight</source>
        <translation>指数移动平均（与 TensorBoard 的画法相同），原始点以浅色画在后面；每个指标各自保留平滑权重</translation>
    </message>
    <message>
        <source>Smoothing weight</source>
        <translation>平滑系数</translation>
    </message>
    <message>
        <source>Follow latest</source>
        <translation>跟随最新</translation>
    </message>
    <message>
        <source>Keep every curve in view as points arrive</source>
        <translation>有新数据点时，让所有曲线保持在视野内</translation>
    </message>
</context>
<context>
    <name>CurveMarkers</name>
    <message>
        <source>pruned by the plan&apos;s pruner</source>
        <extracomment>States whose curve ends where the trial stopped (paused: where it waits for its generation).</extracomment>
        <translation>由计划的剪枝器剪枝（提前停止）</translation>
    </message>
    <message>
        <source>stopped by a person</source>
        <translation>由人工停止</translation>
    </message>
    <message>
        <source>Trial %1 · %2</source>
        <translation>试验 %1 · %2</translation>
    </message>
    <message>
        <source>Every curve is hidden: by the trials table&apos;s filter or the list beside the plot.</source>
        <translation>所有曲线都已隐藏：被试验表的筛选条件或图旁的列表隐藏。</translation>
    </message>
    <message>
        <source>No point of “%1” yet.</source>
        <translation>“%1”还没有数据点。</translation>
    </message>
    <message>
        <source>No point yet: curves appear as the trials report metrics.</source>
        <translation>还没有数据点：试验报告指标后曲线就会出现。</translation>
    </message>
    <message>
        <source>Values at or below zero left out by log y: %1</source>
        <translation>对数 y 轴未显示小于或等于零的值：%1 个</translation>
    </message>
</context>
<context>
    <name>CurvesView</name>
    <message>
        <source>Curves plot</source>
        <translation>曲线图</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Trial %1 (best)</source>
        <translation>试验 %1（最佳）</translation>
    </message>
    <message>
        <source>Trial %1</source>
        <translation>试验 %1</translation>
    </message>
    <message>
        <source>and %1 more trials</source>
        <translation>以及另外 %1 个试验</translation>
    </message>
</context>
<context>
    <name>DataInspections</name>
    <message>
        <source>Inspecting the data</source>
        <translation>检查数据</translation>
    </message>
</context>
<context>
    <name>DataInspectorDialog</name>
    <message>
        <source>Inspect the data</source>
        <translation>检查数据</translation>
    </message>
</context>
<context>
    <name>DataPage</name>
    <message>
        <source>Which data?</source>
        <translation>使用什么数据？</translation>
    </message>
    <message>
        <source>The built-in data sets need no download and train in seconds.</source>
        <translation>内置数据集无需下载，几秒钟就能训练完。</translation>
    </message>
    <message>
        <source>Location:</source>
        <translation>位置：</translation>
    </message>
    <message>
        <source>Data location</source>
        <translation>数据位置</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the folder that holds the data.</source>
        <translation>请选择存放数据的文件夹。</translation>
    </message>
    <message>
        <source>Choose the file that holds the data.</source>
        <translation>请选择存放数据的文件。</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
    <message>
        <source>%1 is a file, not a folder.</source>
        <translation>%1 是文件，不是文件夹。</translation>
    </message>
    <message>
        <source>%1 is a folder, not a file.</source>
        <translation>%1 是文件夹，不是文件。</translation>
    </message>
    <message>
        <source>%1 has no images/ folder: a YOLO data set holds images/ and labels/, with or without train/ and val/ inside.</source>
        <translation>%1 中没有 images/ 文件夹：YOLO 数据集包含 images/ 和 labels/，其中可以有也可以没有 train/ 和 val/。</translation>
    </message>
    <message>
        <source>%1 holds no image files (.png, .jpg and the like).</source>
        <translation>%1 中没有图像文件（.png、.jpg 等）。</translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 不是文件夹。</translation>
    </message>
    <message>
        <source>Handwritten digits (built in)</source>
        <translation>手写数字（内置）</translation>
    </message>
    <message>
        <source>1,797 small 8x8 images of the digits 0 to 9, shipped with scikit-learn.</source>
        <translation>1797 张 8x8 的数字 0 到 9 小图像，随 scikit-learn 一起提供。</translation>
    </message>
    <message>
        <source>A folder of images</source>
        <translation>图像文件夹</translation>
    </message>
    <message>
        <source>One sub-folder per class; the sub-folder names are the class names. hpdesk counts the images per class and advises on imbalance and on few samples per class; images collected from the web vary in quality, so look through them first (Help → Tuning guide: Data comes first).</source>
        <translation>每个类别一个子文件夹，子文件夹名即类别名。hpdesk 会统计每个类别的图像数，并就类别不平衡和每类样本过少给出建议；网上收集的图像质量参差不齐，请先浏览一遍（帮助 → 调参指南：数据优先）。</translation>
    </message>
    <message>
        <source>A NumPy .npz file</source>
        <translation>NumPy .npz 文件</translation>
    </message>
    <message>
        <source>Arrays x (images) and y (integer labels), optionally x_val and y_val.</source>
        <translation>包含数组 x（图像）和 y（整数标签），可选 x_val 和 y_val。</translation>
    </message>
    <message>
        <source>Generated shapes (built in)</source>
        <translation>生成的几何图形（内置）</translation>
    </message>
    <message>
        <source>Circles, squares and triangles drawn at random places and sizes.</source>
        <translation>在随机位置、以随机大小绘制的圆形、正方形和三角形。</translation>
    </message>
    <message>
        <source>A YOLO-format folder</source>
        <translation>YOLO 格式的文件夹</translation>
    </message>
    <message>
        <source>images/ and labels/ folders, with or without train/ and val/.</source>
        <translation>包含 images/ 和 labels/ 文件夹，可以有也可以没有 train/ 和 val/ 子文件夹。</translation>
    </message>
    <message>
        <source>Eight Gaussians on a ring (built in)</source>
        <translation>环上的八个高斯分布（内置）</translation>
    </message>
    <message>
        <source>2-D points: the quickest way to see a GAN collapse onto a few modes.</source>
        <translation>二维数据点：观察 GAN 坍缩到少数几个模式（模式坍塌）最快的方法。</translation>
    </message>
    <message>
        <source>read by your script</source>
        <translation>由你的脚本读取</translation>
    </message>
    <message>
        <source>the task&apos;s default data</source>
        <translation>任务的默认数据</translation>
    </message>
</context>
<context>
    <name>DataPanel</name>
    <message>
        <source>Inspect again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <source>Inspect the data again</source>
        <translation>重新检查数据</translation>
    </message>
    <message>
        <source>Read the data again (after you changed its files)</source>
        <translation>重新读取数据（在修改了其中的文件之后）</translation>
    </message>
    <message>
        <source>Samples per class</source>
        <translation>每个类别的样本数</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <source>Rare</source>
        <translation>少样本</translation>
    </message>
    <message>
        <source>Image sizes</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Size (width x height)</source>
        <translation>尺寸（宽 x 高）</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Identical files</source>
        <translation>内容相同的文件</translation>
    </message>
    <message>
        <source>Unreadable files</source>
        <translation>无法读取的文件</translation>
    </message>
    <message>
        <source>Identical files (one group a line)</source>
        <translation>内容相同的文件（每行一组）</translation>
    </message>
    <message>
        <source>Files no image reader opens</source>
        <translation>图像读取器无法打开的文件</translation>
    </message>
    <message>
        <source>Object scales</source>
        <translation>目标尺度</translation>
    </message>
    <message>
        <source>Findings on the data</source>
        <translation>关于数据的发现</translation>
    </message>
    <message>
        <source>Data report</source>
        <translation>数据报告</translation>
    </message>
    <message>
        <source>Classes</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Objects</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Findings</source>
        <translation>发现</translation>
    </message>
    <message>
        <source>%1 data</source>
        <translation>%1数据</translation>
    </message>
    <message>
        <source>This plan runs your own script, which reads its own data: there is nothing to inspect here.</source>
        <translation>这个计划运行你自己的脚本，由脚本自行读取数据：这里没有可检查的数据。</translation>
    </message>
    <message>
        <source>The %1 task has no data to inspect here: the inspector reads the classification and detection tasks&apos; data.</source>
        <translation>%1 任务在这里没有可检查的数据：数据检查只读取分类和检测任务的数据。</translation>
    </message>
    <message>
        <source>Classification</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>Detection</source>
        <translation>检测</translation>
    </message>
    <message>
        <source>Inspecting the data… (a large folder takes a while: every file is read once)</source>
        <translation>正在检查数据…（大文件夹需要一些时间：每个文件都会读取一次）</translation>
    </message>
    <message>
        <source>%1: no such file or folder.</source>
        <translation>%1：文件或文件夹不存在。</translation>
    </message>
    <message>
        <source>(no path)</source>
        <translation>（未指定路径）</translation>
    </message>
    <message>
        <source>The detection task&apos;s built-in shapes are drawn anew as each trial runs, balanced by construction: there is nothing to inspect. A YOLO folder (New experiment…) can be inspected.</source>
        <translation>检测任务的内置图形在每次试验运行时重新绘制，各类别天然平衡：没有可检查的数据。YOLO 格式的文件夹（新建实验…）可以检查。</translation>
    </message>
    <message>
        <source>%1 holds no image file where the task looks for them (one sub-folder per class for classification; images/ for detection).</source>
        <translation>%1 中任务查找图像的位置没有图像文件（分类任务为每个类别一个子文件夹；检测任务为 images/ 文件夹）。</translation>
    </message>
    <message>
        <source>%1 has no images/ folder: a YOLO data set holds images/ and labels/, with or without train/ and val/ inside.</source>
        <translation>%1 中没有 images/ 文件夹：YOLO 数据集包含 images/ 和 labels/，其中可以有也可以没有 train/ 和 val/。</translation>
    </message>
    <message>
        <source>%1 cannot be read as the %2 task reads it.</source>
        <translation>无法按 %2 任务的方式读取 %1。</translation>
    </message>
    <message>
        <source>Inspecting the data failed: %1</source>
        <translation>检查数据失败：%1</translation>
    </message>
    <message>
        <source>Objects per class</source>
        <translation>每个类别的目标数</translation>
    </message>
    <message>
        <source>objects</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>samples</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>%1 classes, %2 %3.</source>
        <translation>共 %1 个类别，%2 个%3。</translation>
    </message>
    <message>
        <source>%1 images, %2 of them without a label file.</source>
        <translation>共 %1 张图像，其中 %2 张没有标注文件。</translation>
    </message>
    <message>
        <source>Imbalance ratio (largest class / smallest): %1.</source>
        <translation>不平衡比（最大类别 / 最小类别）：%1。</translation>
    </message>
    <message>
        <source>Objects per class: median %1, against %2 classes.</source>
        <translation>每个类别的目标数：中位数 %1，类别数 %2。</translation>
    </message>
    <message>
        <source>Samples per class: median %1, against %2 classes%3.</source>
        <translation>每个类别的样本数：中位数 %1，类别数 %2%3。</translation>
    </message>
    <message>
        <source> (fewer than the classes: few-shot)</source>
        <translation>（少于类别数：few-shot）</translation>
    </message>
    <message>
        <source> and %1 more</source>
        <translation>，另有 %1 个</translation>
    </message>
    <message>
        <source>Rare classes (at most half the median class): %1%2.</source>
        <translation>少样本类别（样本数不超过中位数类别的一半）：%1%2。</translation>
    </message>
    <message>
        <source>count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>rare</source>
        <translation>少样本</translation>
    </message>
    <message>
        <source>The first %1 of %2 classes, most samples first</source>
        <translation>%2 个类别中的前 %1 个，样本多的在前</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>…… 另有 %1 项</translation>
    </message>
    <message>
        <source>none found</source>
        <translation>未发现</translation>
    </message>
    <message>
        <source>not read (an .npz or built-in data)</source>
        <translation>未读取（.npz 文件或内置数据）</translation>
    </message>
    <message>
        <source>Objects per image: mean %1, median %2, max %3. Scale: the side of a box&apos;s square (the square root of its area) against the image&apos;s side.</source>
        <translation>每张图像的目标数：平均 %1，中位数 %2，最多 %3。尺度：目标框面积的平方根与图像边长之比。</translation>
    </message>
    <message>
        <source>small (&lt; 0.1)</source>
        <translation>小（&lt; 0.1）</translation>
    </message>
    <message>
        <source>medium (0.1 to 0.3)</source>
        <translation>中（0.1 到 0.3）</translation>
    </message>
    <message>
        <source>large (≥ 0.3)</source>
        <translation>大（≥ 0.3）</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>出处：%1</translation>
    </message>
    <message>
        <source>No finding: no rule of the tuning guide objects to this data.</source>
        <translation>没有发现：调参指南的规则对这些数据没有异议。</translation>
    </message>
    <message>
        <source>Findings (%1)</source>
        <translation>发现（%1）</translation>
    </message>
</context>
<context>
    <name>ExperimentActions</name>
    <message>
        <source>Rename experiment</source>
        <extracomment>The folders hpdesk makes for an experiment (hpdesk.runner.paths.new_experiment_dir): the only ones deleting removes, whatever a database says its folder is.</extracomment>
        <translation>重命名实验</translation>
    </message>
    <message>
        <source>New name of experiment %1:</source>
        <translation>实验 %1 的新名称：</translation>
    </message>
    <message>
        <source>Experiment %1 is now called %2</source>
        <translation>实验 %1 现在名为 %2</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>归档</translation>
    </message>
    <message>
        <source>Experiment %1 is running; stop it before archiving it.</source>
        <translation>实验 %1 正在运行；请先停止再归档。</translation>
    </message>
    <message>
        <source>Experiment %1 archived: tick Show archived to see it</source>
        <translation>实验 %1 已归档：勾选“显示已归档”即可看到</translation>
    </message>
    <message>
        <source>Experiment %1 is listed again</source>
        <translation>实验 %1 已重新列出</translation>
    </message>
    <message>
        <source>Unarchive</source>
        <translation>取消归档</translation>
    </message>
    <message>
        <source>Delete experiment</source>
        <translation>删除实验</translation>
    </message>
    <message>
        <source>Experiment %1 is running; stop it before deleting it.</source>
        <translation>实验 %1 正在运行；请先停止再删除。</translation>
    </message>
    <message>
        <source>Delete experiment %1 “%2”?</source>
        <translation>删除实验 %1“%2”？</translation>
    </message>
    <message>
        <source>Its %1 trials, their metrics and its files in %2 are removed for good.</source>
        <translation>它的 %1 个试验、这些试验的指标以及 %2 中的文件将被永久删除。</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Experiment %1 was deleted, but its files were kept: %2</source>
        <translation>实验 %1 已删除，但其文件被保留：%2</translation>
    </message>
    <message>
        <source>Experiment %1 deleted</source>
        <translation>实验 %1 已删除</translation>
    </message>
</context>
<context>
    <name>ExperimentOverview</name>
    <message>
        <source>Experiment overview</source>
        <translation>实验概览</translation>
    </message>
    <message>
        <source>Best trial</source>
        <translation>最佳试验</translation>
    </message>
    <message>
        <source>Best trial&apos;s curve</source>
        <translation>最佳试验的曲线</translation>
    </message>
    <message>
        <source>Trials done</source>
        <translation>已完成的试验</translation>
    </message>
    <message>
        <source>Elapsed and time left</source>
        <translation>已用时间与剩余时间</translation>
    </message>
    <message>
        <source>Elapsed: the time the experiment ran (its trials&apos; run times), not the time since it was created; a stopped and resumed experiment has not run meanwhile. Time left: the pace so far applied to the trials left of the budget.</source>
        <translation>已用时间：实验实际运行的时间（其试验的运行时间），而不是自创建以来的时间；实验停止后再恢复，中间的时间不算。剩余时间：按目前的速度估算预算中剩下的试验所需时间。</translation>
    </message>
    <message>
        <source>Best: none yet</source>
        <translation>最佳：暂无</translation>
    </message>
    <message>
        <source>No trial has reported a finite %1 yet.</source>
        <translation>还没有试验报告有限的 %1 值。</translation>
    </message>
    <message>
        <source>objective</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Best: %1 · %2 %3 %4</source>
        <translation>最佳：%1 · %2 %3 %4</translation>
    </message>
    <message>
        <source>Trial %1 has the best %2 so far (%3); click to show its curve.</source>
        <translation>试验 %1 目前的 %2 最佳（%3）；点击显示其曲线。</translation>
    </message>
    <message>
        <source>lower is better</source>
        <translation>越低越好</translation>
    </message>
    <message>
        <source>higher is better</source>
        <translation>越高越好</translation>
    </message>
    <message>
        <source>%1 trials done</source>
        <translation>已完成 %1 个试验</translation>
    </message>
    <message>
        <source>%1 of %2 trials done</source>
        <translation>已完成 %1/%2 个试验</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>约剩 %1</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>剩余时间未知</translation>
    </message>
    <message>
        <source>Elapsed %1</source>
        <translation>已用 %1</translation>
    </message>
</context>
<context>
    <name>ExperimentsView</name>
    <message>
        <source>Experiments</source>
        <extracomment>Columns given up, in this order, when the list is too narrow to show them beside a readable name; the name and the state always stay (their tooltip tells the rest).</extracomment>
        <translation>实验列表</translation>
    </message>
    <message>
        <source>Experiment</source>
        <translation>实验</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Trials</source>
        <translation>试验数</translation>
    </message>
    <message>
        <source>Best</source>
        <translation>最佳值</translation>
    </message>
    <message>
        <source>&amp;Rename…</source>
        <translation>重命名(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Archive</source>
        <translation>归档(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Delete…</source>
        <translation>删除(&amp;D)…</translation>
    </message>
    <message>
        <source>Created %1</source>
        <translation>创建于 %1</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Archived</source>
        <translation>已归档</translation>
    </message>
    <message>
        <source>Classification</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>Detection</source>
        <translation>检测</translation>
    </message>
    <message>
        <source>GAN</source>
        <translation>GAN</translation>
    </message>
    <message>
        <source>Script</source>
        <translation>脚本</translation>
    </message>
    <message>
        <source>Un&amp;archive</source>
        <translation>取消归档(&amp;A)</translation>
    </message>
</context>
<context>
    <name>Exports</name>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Select an experiment first.</source>
        <translation>请先选择一个实验。</translation>
    </message>
    <message>
        <source>Wrote %1</source>
        <translation>已写入 %1</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>%1: choose a .png or .svg file name</source>
        <translation>%1：请选择 .png 或 .svg 文件名</translation>
    </message>
    <message>
        <source>Export plot</source>
        <translation>导出图表</translation>
    </message>
    <message>
        <source>PNG (*.png);;SVG (*.svg)</source>
        <translation>PNG (*.png);;SVG (*.svg)</translation>
    </message>
    <message>
        <source>Export trials</source>
        <translation>导出试验</translation>
    </message>
    <message>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <source>Export metrics</source>
        <translation>导出指标</translation>
    </message>
    <message>
        <source>No trial has completed with an objective value yet.</source>
        <translation>还没有试验完成并得到目标值。</translation>
    </message>
    <message>
        <source>Export the best trial as a plan</source>
        <translation>将最佳试验导出为计划</translation>
    </message>
    <message>
        <source>YAML (*.yaml);;TOML (*.toml)</source>
        <translation>YAML (*.yaml);;TOML (*.toml)</translation>
    </message>
</context>
<context>
    <name>FindingMarks</name>
    <message>
        <source>fit-state finding</source>
        <translation>拟合状态发现</translation>
    </message>
</context>
<context>
    <name>FindingsDialog</name>
    <message>
        <source>Fit-state findings of trial %1</source>
        <translation>试验 %1 的拟合状态发现</translation>
    </message>
    <message>
        <source>What trial %1&apos;s curves show, read by hpdesk; a running trial&apos;s findings may change as it goes on.</source>
        <translation>hpdesk 从试验 %1 的曲线读出的情况；运行中试验的发现可能随训练进行而改变。</translation>
    </message>
    <message>
        <source>Trial %1&apos;s curves show no fit-state finding so far.</source>
        <translation>试验 %1 的曲线目前没有拟合状态发现。</translation>
    </message>
    <message>
        <source>Fit-state findings</source>
        <translation>拟合状态发现</translation>
    </message>
</context>
<context>
    <name>FitFindings</name>
    <message>
        <source>%1, step %2</source>
        <translation>%1，第 %2 步</translation>
    </message>
    <message>
        <source>(epoch %1)</source>
        <translation>（第 %1 个 epoch）</translation>
    </message>
    <message>
        <source>Trial %1</source>
        <translation>试验 %1</translation>
    </message>
    <message>
        <source>Next:</source>
        <translation>下一步：</translation>
    </message>
    <message>
        <source>Seen while the trial runs: it may change as the run goes on.</source>
        <translation>试验运行中读出：可能随训练进行而改变。</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Reading the fit state of trials</source>
        <translation>读取试验的拟合状态</translation>
    </message>
</context>
<context>
    <name>GuideDialog</name>
    <message>
        <source>Tuning guide</source>
        <translation>调参指南</translation>
    </message>
    <message>
        <source>Search the topics</source>
        <translation>搜索主题</translation>
    </message>
    <message>
        <source>Topics of the guide</source>
        <translation>指南的主题</translation>
    </message>
    <message>
        <source>The topic</source>
        <translation>当前主题</translation>
    </message>
    <message>
        <source>No topic mentions “%1”.</source>
        <translation>没有主题提到“%1”。</translation>
    </message>
    <message>
        <source>Choose a topic on the left.</source>
        <translation>请在左侧选择一个主题。</translation>
    </message>
    <message>
        <source>In the guide: %1</source>
        <translation>对应指南：%1</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Hyperparameters it drives</source>
        <translation>相关的超参数</translation>
    </message>
    <message>
        <source>Advice rules it drives</source>
        <translation>相关的建议规则</translation>
    </message>
</context>
<context>
    <name>ImportancePanel</name>
    <message>
        <source>Importance method</source>
        <translation>重要性计算方法</translation>
    </message>
    <message>
        <source>PED-ANOVA: what set the best trials apart. fANOVA: how much of the objective&apos;s variance each parameter explains (a random forest).</source>
        <translation>PED-ANOVA：是什么让最好的那些试验与众不同。fANOVA：每个参数能解释目标值方差的多大比例（基于随机森林）。</translation>
    </message>
    <message>
        <source>Importance status</source>
        <translation>重要性状态</translation>
    </message>
    <message>
        <source>Importance of each parameter</source>
        <translation>各参数的重要性</translation>
    </message>
    <message>
        <source>The tuning guide&apos;s order for these parameters</source>
        <translation>调参指南对这些参数的排序</translation>
    </message>
    <message>
        <source>How far the importance can be trusted</source>
        <translation>重要性结果的可信程度</translation>
    </message>
    <message>
        <source>Importance legend</source>
        <translation>重要性图例</translation>
    </message>
    <message>
        <source>Method:</source>
        <translation>方法：</translation>
    </message>
    <message>
        <source>Computing importance over %1 trials…</source>
        <translation>正在根据 %1 个试验计算重要性…</translation>
    </message>
    <message>
        <source>Importance could not be computed: %1</source>
        <translation>无法计算重要性：%1</translation>
    </message>
    <message>
        <source>No experiment selected.</source>
        <translation>未选择实验。</translation>
    </message>
    <message>
        <source>How much each parameter explained %1 across %2 completed trials (%3). The colour and label give the tuning guide&apos;s tier: tier 1 is tuned first.</source>
        <translation>在 %2 个已完成的试验中，各参数对 %1 的解释程度（%3）。颜色和标签表示它在调参指南中的梯队：第 1 梯队最先调。</translation>
    </message>
    <message>
        <source>⚠ These percentages rest on only %1 trials. fANOVA needs about %2 to be reliable (PED-ANOVA copes with fewer): the ranking is uncertain and may change as more trials finish.</source>
        <translation>⚠ 这些百分比只基于 %1 个试验。fANOVA 大约需要 %2 个试验才可靠（PED-ANOVA 需要的更少）：排序并不确定，随着更多试验完成可能会改变。</translation>
    </message>
    <message>
        <source>⚠ These percentages rest on only %1 trials. PED-ANOVA wants at least 5 trials in its top 10 % (about %2 trials in all, as Optuna advises): the ranking is uncertain and may change as more trials finish.</source>
        <translation>⚠ 这些百分比只基于 %1 个试验。PED-ANOVA 希望最好的 10 % 中至少有 5 个试验（即总共约 %2 个试验，这是 Optuna 的建议）：排序并不确定，随着更多试验完成可能会改变。</translation>
    </message>
    <message>
        <source>not in the guide</source>
        <translation>指南中未列出</translation>
    </message>
    <message>
        <source>tier %1</source>
        <translation>第 %1 梯队</translation>
    </message>
    <message>
        <source>Until then, the tuning guide&apos;s order for the searched parameters (tier 1 is tuned first):</source>
        <translation>在此之前，可参考调参指南对所搜索参数的排序（第 1 梯队最先调）：</translation>
    </message>
    <message>
        <source>Not enough trials yet: %1 completed with an objective, importance needs at least %2.</source>
        <translation>试验还不够：已有 %1 个试验完成并得到目标值，计算重要性至少需要 %2 个。</translation>
    </message>
    <message>
        <source>Importance compares parameters: this plan searches %1, at least %2 are needed.</source>
        <translation>重要性是在参数之间作比较：此计划只搜索了 %1 个参数，至少需要 %2 个。</translation>
    </message>
    <message>
        <source>Every completed trial has the same objective: there is nothing to explain yet.</source>
        <translation>所有已完成试验的目标值都相同：暂时没有可解释的差异。</translation>
    </message>
    <message>
        <source>not assessed</source>
        <translation>未评估</translation>
    </message>
    <message>
        <source>tier 1: tune first</source>
        <translation>第 1 梯队：最先调</translation>
    </message>
    <message>
        <source>tier 2</source>
        <translation>第 2 梯队</translation>
    </message>
    <message>
        <source>tier 3: tune last</source>
        <translation>第 3 梯队：最后调</translation>
    </message>
    <message>
        <source>Tuning guide&apos;s tiers:</source>
        <translation>调参指南的梯队：</translation>
    </message>
</context>
<context>
    <name>LogDialog</name>
    <message>
        <source>Log text</source>
        <translation>日志内容</translation>
    </message>
    <message>
        <source>Open in editor</source>
        <translation>在编辑器中打开</translation>
    </message>
    <message>
        <source>Open the log file in the system&apos;s editor</source>
        <translation>用系统的编辑器打开日志文件</translation>
    </message>
</context>
<context>
    <name>LrFindDialog</name>
    <message>
        <source>Find learning rate</source>
        <translation>寻找学习率</translation>
    </message>
    <message>
        <source>Sweeping the learning rate…</source>
        <translation>正在扫描学习率…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the sweep</source>
        <translation>停止扫描</translation>
    </message>
    <message>
        <source>Apply to plan</source>
        <translation>应用到计划</translation>
    </message>
    <message>
        <source>Set the plan&apos;s learning-rate range to the suggested one</source>
        <translation>把计划的学习率范围设为建议的范围</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Close this window</source>
        <translation>关闭此窗口</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Sweeping the learning rate: step %1 of %2</source>
        <translation>正在扫描学习率：第 %1 步，共 %2 步</translation>
    </message>
    <message>
        <source>it ended without a word</source>
        <translation>它未留下任何说明就结束了</translation>
    </message>
    <message>
        <source>The sweep could not run: %1</source>
        <translation>扫描无法运行：%1</translation>
    </message>
    <message>
        <source>Experiment %1, trial %2: loss against learning rate, %3 points.</source>
        <translation>实验 %1，试验 %2：损失随学习率的变化，%3 个点。</translation>
    </message>
    <message>
        <source>No range suggested: %1</source>
        <translation>未给出建议范围：%1</translation>
    </message>
    <message>
        <source>Suggested %1 to %2; it overlaps the guide&apos;s range for %3 (%4 to %5).</source>
        <translation>建议 %1 到 %2；它与指南给 %3 的范围（%4 到 %5）重叠。</translation>
    </message>
    <message>
        <source>Suggested %1 to %2; it lies below the guide&apos;s range for %3 (%4 to %5): the loss stopped falling before the guide&apos;s rates, which are near divergence for this model, data and batch size.</source>
        <translation>建议 %1 到 %2；它低于指南给 %3 的范围（%4 到 %5）：损失在到达指南的学习率之前就已停止下降，对这个模型、数据和批样本数量而言，指南的学习率已接近发散。</translation>
    </message>
    <message>
        <source>Suggested %1 to %2; it lies above the guide&apos;s range for %3 (%4 to %5): the loss was still falling past the guide&apos;s rates.</source>
        <translation>建议 %1 到 %2；它高于指南给 %3 的范围（%4 到 %5）：超过指南的学习率后损失仍在下降。</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>注意：%1</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>training loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>smoothed</source>
        <translation>平滑后</translation>
    </message>
    <message>
        <source>the guide&apos;s range for %1</source>
        <translation>指南给 %1 的范围</translation>
    </message>
    <message>
        <source>suggested range</source>
        <translation>建议的范围</translation>
    </message>
    <message>
        <source>Applied to the plan&apos;s lr range.</source>
        <translation>已应用到计划的 lr 范围。</translation>
    </message>
    <message>
        <source>The plan has no lr row to set; add lr to the plan first.</source>
        <translation>计划中没有可设置的 lr 行；请先把 lr 添加到计划中。</translation>
    </message>
</context>
<context>
    <name>MainMenus</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New experiment…</source>
        <translation>新建实验(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open plan…</source>
        <translation>打开计划(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save plan as…</source>
        <translation>计划另存为(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Import search space…</source>
        <translation>导入搜索空间(&amp;I)…</translation>
    </message>
    <message>
        <source>E&amp;xport search space…</source>
        <translation>导出搜索空间(&amp;X)…</translation>
    </message>
    <message>
        <source>Open &amp;database…</source>
        <translation>打开数据库(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Recent databases</source>
        <translation>最近的数据库(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <source>Plot as image (PNG, SVG)…</source>
        <translation>图表为图片（PNG、SVG）…</translation>
    </message>
    <message>
        <source>Trials as CSV…</source>
        <translation>试验为 CSV…</translation>
    </message>
    <message>
        <source>Metrics as CSV…</source>
        <translation>指标为 CSV…</translation>
    </message>
    <message>
        <source>Best trial as a plan…</source>
        <translation>最佳试验为计划…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Experiment</source>
        <translation>实验(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Launch plan</source>
        <translation>启动计划(&amp;L)</translation>
    </message>
    <message>
        <source>S&amp;top experiment</source>
        <translation>停止实验(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Resume experiment</source>
        <translation>继续实验(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit a copy of its plan</source>
        <translation>编辑其计划的副本(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Inspect the plan&apos;s data…</source>
        <translation>检查计划的数据(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Per-class results of the selected trial…</source>
        <translation>所选试验的各类别结果(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Trainer Python…</source>
        <translation>训练用 Python(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Tuning guide</source>
        <translation>调参指南(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;About hpdesk</source>
        <translation>关于 hpdesk(&amp;A)</translation>
    </message>
    <message>
        <source>&lt;b&gt;hpdesk %1&lt;/b&gt;&lt;br&gt;A desktop workbench for deep-learning hyperparameter experiments.&lt;br&gt;Presets and advice follow a practitioner&apos;s tuning guide and the papers they cite (Help → Tuning guide). MIT licence.</source>
        <translation>&lt;b&gt;hpdesk %1&lt;/b&gt;&lt;br&gt;用于深度学习超参数实验的桌面工作台。&lt;br&gt;预设和建议遵循一篇实践者的调参指南及其引用的论文（帮助 → 调参指南）。MIT 许可证。</translation>
    </message>
    <message>
        <source>Open plan</source>
        <translation>打开计划</translation>
    </message>
    <message>
        <source>Plan files (*.yaml *.yml *.toml *.json)</source>
        <translation>计划文件 (*.yaml *.yml *.toml *.json)</translation>
    </message>
    <message>
        <source>The plan is not valid</source>
        <translation>计划无效</translation>
    </message>
    <message>
        <source>Save plan</source>
        <translation>保存计划</translation>
    </message>
    <message>
        <source>YAML (*.yaml);;TOML (*.toml)</source>
        <translation>YAML (*.yaml);;TOML (*.toml)</translation>
    </message>
    <message>
        <source>Cannot save the plan</source>
        <translation>无法保存计划</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Open database</source>
        <translation>打开数据库</translation>
    </message>
    <message>
        <source>hpdesk databases (*.db *.sqlite *.sqlite3)</source>
        <translation>hpdesk 数据库 (*.db *.sqlite *.sqlite3)</translation>
    </message>
    <message>
        <source>About hpdesk</source>
        <translation>关于 hpdesk</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Cannot open the database</source>
        <translation>无法打开数据库</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>New experiment…</source>
        <translation>新建实验…</translation>
    </message>
    <message>
        <source>New experiment</source>
        <translation>新建实验</translation>
    </message>
    <message>
        <source>Show archived</source>
        <translation>显示已归档</translation>
    </message>
    <message>
        <source>Show archived experiments</source>
        <translation>显示已归档的实验</translation>
    </message>
    <message>
        <source>&lt;b&gt;New here?&lt;/b&gt; The built-in digits classification plan is filled in below, with the ranges and the tuning order of the guide. Press &lt;b&gt;Launch&lt;/b&gt; to run it, or choose &lt;b&gt;New experiment…&lt;/b&gt; for another task or your own script.</source>
        <translation>&lt;b&gt;第一次使用？&lt;/b&gt;下面已经填好了内置的手写数字分类计划，取值范围和调参顺序都来自指南。按&lt;b&gt;启动&lt;/b&gt;运行它，或选择&lt;b&gt;新建实验…&lt;/b&gt;换一个任务或使用你自己的脚本。</translation>
    </message>
    <message>
        <source>Launch</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Launch the plan as a new experiment</source>
        <translation>将计划作为新实验启动</translation>
    </message>
    <message>
        <source>No experiment selected</source>
        <translation>未选择实验</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the experiment</source>
        <translation>停止实验</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Resume the experiment</source>
        <translation>继续运行实验</translation>
    </message>
    <message>
        <source>Edit a copy</source>
        <translation>编辑副本</translation>
    </message>
    <message>
        <source>Edit a copy of this experiment&apos;s plan</source>
        <translation>编辑此实验计划的副本</translation>
    </message>
    <message>
        <source>Views</source>
        <translation>视图</translation>
    </message>
    <message>
        <source>Plan</source>
        <translation>计划</translation>
    </message>
    <message>
        <source>Trials and curves</source>
        <translation>试验与曲线</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>Cannot read the database: %1</source>
        <translation>无法读取数据库：%1</translation>
    </message>
    <message>
        <source>Recovering experiments whose scheduler stopped</source>
        <translation>正在恢复调度器已停止的实验</translation>
    </message>
    <message>
        <source>Experiment %1 is running (scheduler pid %2)</source>
        <translation>实验 %1 正在运行（调度器 PID %2）</translation>
    </message>
    <message>
        <source>The scheduler of experiment %1 stopped answering: press Resume</source>
        <translation>实验 %1 的调度器已无响应：请按“继续”</translation>
    </message>
    <message>
        <source>Experiment %1: %2</source>
        <translation>实验 %1：%2</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s) to fix before launching: see Advice.</source>
        <translation>
            <numerusform>启动前需要修正 %n 个问题：见“建议”。</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <source>The plan is not valid</source>
        <translation>计划无效</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>没有数据库</translation>
    </message>
    <message>
        <source>The database %1 could not be opened; open another from the File menu.</source>
        <translation>无法打开数据库 %1；请从“文件”菜单打开另一个数据库。</translation>
    </message>
    <message>
        <source>Cannot open the plan</source>
        <translation>无法打开计划</translation>
    </message>
    <message>
        <source>Opened %1</source>
        <translation>已打开 %1</translation>
    </message>
</context>
<context>
    <name>MethodOptions</name>
    <message>
        <source>Default: %1</source>
        <translation>默认值：%1</translation>
    </message>
    <message>
        <source>Empty by default</source>
        <translation>默认留空</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>fix at the best value</source>
        <translation>固定为最好的取值</translation>
    </message>
    <message>
        <source>narrow the range around the best value</source>
        <translation>在最好的取值附近缩小范围</translation>
    </message>
    <message>
        <source>every one that can change (e.g. lr, momentum)</source>
        <translation>所有可以改变的（如 lr、momentum）</translation>
    </message>
    <message>
        <source>by the guide&apos;s tiers (e.g. lr, optimizer | batch_size | dropout)</source>
        <translation>按指南的梯队（如 lr, optimizer | batch_size | dropout）</translation>
    </message>
</context>
<context>
    <name>MetricsPage</name>
    <message>
        <source>What to optimise</source>
        <translation>优化目标</translation>
    </message>
    <message>
        <source>hpdesk reads metrics from what your script prints, or from hpdesk.sdk.report() if it uses the SDK.</source>
        <translation>hpdesk 从脚本打印的输出中读取指标；如果脚本使用了 SDK，则从 hpdesk.sdk.report() 读取。</translation>
    </message>
    <message>
        <source>Objective metric</source>
        <translation>目标指标</translation>
    </message>
    <message>
        <source>As your script prints it; it may contain spaces, such as valid loss.</source>
        <translation>与脚本打印的名称一致；可以包含空格，例如 valid loss。</translation>
    </message>
    <message>
        <source>Objective direction</source>
        <translation>优化方向</translation>
    </message>
    <message>
        <source>lower is better (minimize)</source>
        <translation>越低越好（最小化）</translation>
    </message>
    <message>
        <source>higher is better (maximize)</source>
        <translation>越高越好（最大化）</translation>
    </message>
    <message>
        <source>Metric patterns, one regular expression per line</source>
        <translation>指标匹配模式，每行一个正则表达式</translation>
    </message>
    <message>
        <source>Leave empty to read the usual formats: loss: 0.25, val_acc=0.9, tables such as | valid loss 6.62 |, Keras, Lightning and JSON lines. Otherwise one regular expression per line, with the groups (?P&lt;name&gt;…) and (?P&lt;value&gt;…), and optionally (?P&lt;step&gt;…) or (?P&lt;epoch&gt;…). For a name that never changes, put the words inside the name group: (?P&lt;name&gt;valid loss) +(?P&lt;value&gt;[\d.]+)</source>
        <translation>留空则读取常见格式：loss: 0.25、val_acc=0.9、| valid loss 6.62 | 这样的表格、Keras、Lightning 和 JSON 行。否则每行写一个正则表达式，包含 (?P&lt;name&gt;…) 和 (?P&lt;value&gt;…) 组，可以包含 (?P&lt;step&gt;…) 或 (?P&lt;epoch&gt;…)。名称固定时，把这几个词写进 name 组：(?P&lt;name&gt;valid loss) +(?P&lt;value&gt;[\d.]+)</translation>
    </message>
    <message>
        <source>Some lines of your script&apos;s output</source>
        <translation>脚本输出中的几行</translation>
    </message>
    <message>
        <source>Paste a few lines your script prints, for example:</source>
        <translation>粘贴脚本打印的几行输出，例如：</translation>
    </message>
    <message>
        <source>&amp;Try some output:</source>
        <translation>试读输出(&amp;T)：</translation>
    </message>
    <message>
        <source>⚠ Reads no metric from these lines: trials would end with no objective. Paste lines that print metrics, or check the patterns.</source>
        <translation>⚠ 从这些行读不到任何指标：试验结束时将没有目标值。请粘贴打印了指标的行，或检查匹配模式。</translation>
    </message>
    <message>
        <source>%1: 1 point, value %2</source>
        <translation>%1：1 个点，值为 %2</translation>
    </message>
    <message>
        <source>%1: %3 points, last %2</source>
        <translation>%1：%3 个点，最后为 %2</translation>
    </message>
    <message>
        <source>⚠ None of these lines gives %1, the metric to optimise: trials would end with no objective. Seen: %2.</source>
        <translation>⚠ 这些行都没有给出要优化的指标 %1：试验结束时将没有目标值。读到的指标：%2。</translation>
    </message>
    <message>
        <source>Name the metric to optimise, as your script prints it (for example val_loss or valid loss).</source>
        <translation>请填写要优化的指标名称，与脚本打印的名称一致（例如 val_loss 或 valid loss）。</translation>
    </message>
    <message>
        <source>Pattern %1 has no (?P&lt;name&gt;…) group, so the metric has no name: put the name the script prints inside one, such as (?P&lt;name&gt;valid loss).</source>
        <translation>模式 %1 没有 (?P&lt;name&gt;…) 组，因此指标没有名称：请把脚本打印的名称写进这个组，例如 (?P&lt;name&gt;valid loss)。</translation>
    </message>
    <message>
        <source>&amp;Metric to optimise:</source>
        <translation>要优化的指标(&amp;M)：</translation>
    </message>
    <message>
        <source>&amp;Direction:</source>
        <translation>方向(&amp;D)：</translation>
    </message>
    <message>
        <source>Metric &amp;patterns:</source>
        <translation>指标模式(&amp;P)：</translation>
    </message>
    <message>
        <source>Reads: %1</source>
        <translation>读到：%1</translation>
    </message>
    <message>
        <source>Pattern %1 is not a valid regular expression (%2).</source>
        <translation>模式 %1 不是有效的正则表达式（%2）。</translation>
    </message>
    <message>
        <source>Pattern %1 has no (?P&lt;value&gt;…) group, so no number can be read.</source>
        <translation>模式 %1 没有 (?P&lt;value&gt;…) 组，因此读不到数值。</translation>
    </message>
</context>
<context>
    <name>NewExperimentDialog</name>
    <message>
        <source>New experiment</source>
        <translation>新建实验</translation>
    </message>
    <message>
        <source>Fill the plan</source>
        <translation>填入计划</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>上一步</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Commit</source>
        <translation>提交</translation>
    </message>
    <message>
        <source>Fill the plan: put this plan in the Plan tab, to launch from there</source>
        <translation>填入计划：把此计划放入“计划”标签页，从那里启动</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>%1: expected %2, found %3</source>
        <translation>%1：应为 %2，实际为 %3</translation>
    </message>
    <message>
        <source> (and %1 more)</source>
        <translation>（另有 %1 项）</translation>
    </message>
</context>
<context>
    <name>ParallelCoordinates</name>
    <message>
        <source>Parallel coordinates: one line per trial</source>
        <translation>平行坐标：每个试验一条折线</translation>
    </message>
    <message>
        <source>Trial under the mouse</source>
        <translation>鼠标所指的试验</translation>
    </message>
    <message>
        <source>Each line is a trial. Point at a line to name it; click to open it.</source>
        <translation>每条折线代表一个试验。鼠标指向折线可显示是哪个试验，单击可打开它。</translation>
    </message>
    <message>
        <source>No trials to compare yet.</source>
        <translation>还没有可对比的试验。</translation>
    </message>
    <message>
        <source>%1 (objective)</source>
        <translation>%1（目标）</translation>
    </message>
    <message>
        <source> (log)</source>
        <translation>（对数）</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>Trial %1 (%2)</source>
        <translation>试验 %1（%2）</translation>
    </message>
</context>
<context>
    <name>ParamRow</name>
    <message>
        <source>A parameter of your own script; hpdesk passes it on as it is.</source>
        <translation>你自己脚本的参数；hpdesk 会原样传给脚本。</translation>
    </message>
    <message>
        <source>This task&apos;s preset: %1</source>
        <translation>本任务的预设：%1</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>出处：%1</translation>
    </message>
    <message>
        <source>Tier: %1</source>
        <translation>梯队：%1</translation>
    </message>
    <message>
        <source>More in Help → Tuning guide (F1): %1</source>
        <translation>详见 帮助 → 调参指南（F1）：%1</translation>
    </message>
    <message>
        <source>Family: %1</source>
        <translation>类别：%1</translation>
    </message>
    <message>
        <source>%1: fixed or searched</source>
        <translation>%1：固定还是搜索</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>固定值</translation>
    </message>
    <message>
        <source>Search a range</source>
        <translation>在范围内搜索</translation>
    </message>
    <message>
        <source>Search a list</source>
        <translation>在列表中搜索</translation>
    </message>
    <message>
        <source>Fixed: every trial uses one value. Search a range: trials draw values between low and high. Search a list: trials pick among the values you list.</source>
        <translation>固定值：每个试验都使用同一个值。在范围内搜索：试验在下限和上限之间取值。在列表中搜索：试验从你列出的值中挑选。</translation>
    </message>
    <message>
        <source>%1: low end</source>
        <translation>%1：下限</translation>
    </message>
    <message>
        <source>low</source>
        <translation>下限</translation>
    </message>
    <message>
        <source>%1: high end</source>
        <translation>%1：上限</translation>
    </message>
    <message>
        <source>high</source>
        <translation>上限</translation>
    </message>
    <message>
        <source>%1: scale</source>
        <translation>%1：尺度</translation>
    </message>
    <message>
        <source>Log scale: values spread evenly over orders of magnitude (learning rates, weight decay). Linear: evenly spaced.</source>
        <translation>对数尺度：取值在各个数量级上均匀分布（适用于学习率、权重衰减）。线性：等间距取值。</translation>
    </message>
    <message>
        <source>log</source>
        <translation>对数</translation>
    </message>
    <message>
        <source>linear</source>
        <translation>线性</translation>
    </message>
    <message>
        <source>%1: step</source>
        <translation>%1：步长</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步长</translation>
    </message>
    <message>
        <source>Optional: only multiples of this step above low are tried.</source>
        <translation>可选：只尝试比下限高出该步长整数倍的值。</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>%1: choices</source>
        <translation>%1：候选值</translation>
    </message>
    <message>
        <source>values separated by commas</source>
        <translation>用逗号分隔的值</translation>
    </message>
    <message>
        <source>Comma-separated; possible values: %1</source>
        <translation>用逗号分隔；可选值：%1</translation>
    </message>
    <message>
        <source>Comma-separated values, e.g. 16, 32, 64</source>
        <translation>用逗号分隔的值，例如 16, 32, 64</translation>
    </message>
    <message>
        <source>Use recommended</source>
        <translation>使用推荐值</translation>
    </message>
    <message>
        <source>Use the recommended learning-rate range</source>
        <translation>使用推荐的学习率范围</translation>
    </message>
    <message>
        <source>Remove %1 from the plan</source>
        <translation>从计划中移除 %1</translation>
    </message>
    <message>
        <source>Remove %1 from the plan (add it back from the list above)</source>
        <translation>从计划中移除 %1（可从上方的列表重新添加）</translation>
    </message>
    <message>
        <source>network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>optimisation</source>
        <translation>优化</translation>
    </message>
    <message>
        <source>regularisation</source>
        <translation>正则化</translation>
    </message>
    <message>
        <source>your script</source>
        <translation>你的脚本</translation>
    </message>
    <message>
        <source>%1: value</source>
        <translation>%1：取值</translation>
    </message>
    <message>
        <source>value</source>
        <translation>取值</translation>
    </message>
    <message>
        <source>%1 = %2</source>
        <translation>%1 = %2</translation>
    </message>
    <message>
        <source>only when %1</source>
        <translation>仅当 %1 时</translation>
    </message>
    <message>
        <source> and </source>
        <translation> 且 </translation>
    </message>
</context>
<context>
    <name>ParetoPanel</name>
    <message>
        <source>Objective across</source>
        <translation>横轴上的目标</translation>
    </message>
    <message>
        <source>Objective up</source>
        <translation>纵轴上的目标</translation>
    </message>
    <message>
        <source>Pareto front plot</source>
        <translation>帕累托前沿图</translation>
    </message>
    <message>
        <source>Across</source>
        <translation>横轴</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>纵轴</translation>
    </message>
    <message>
        <source>The plan has one objective: there is no front to draw.</source>
        <translation>该计划只有一个目标：没有可画的前沿。</translation>
    </message>
    <message>
        <source>higher is better</source>
        <translation>越高越好</translation>
    </message>
    <message>
        <source>lower is better</source>
        <translation>越低越好</translation>
    </message>
    <message>
        <source>%1 completed trials. Orange, joined: the %2 that no other trial beats on both %3 and %4 (the Pareto front); faint: the rest.</source>
        <translation>%1 个已完成的试验。橙色并连线的是在 %3 和 %4 上都没有被其他试验超越的 %2 个（帕累托前沿）；浅色的是其余试验。</translation>
    </message>
    <message>
        <source>On the front of all %1 objectives: %2 trials.</source>
        <translation>位于全部 %1 个目标的前沿上的试验：%2 个。</translation>
    </message>
    <message>
        <source>No completed trial has both values yet.</source>
        <translation>还没有同时具有这两个值的已完成试验。</translation>
    </message>
    <message>
        <source>Trial %1</source>
        <translation>试验 %1</translation>
    </message>
</context>
<context>
    <name>PerClassDialog</name>
    <message>
        <source>Per-class results</source>
        <translation>各类别结果</translation>
    </message>
</context>
<context>
    <name>PerClassView</name>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>Training accuracy</source>
        <translation>训练集准确率</translation>
    </message>
    <message>
        <source>Validation accuracy</source>
        <translation>验证集准确率</translation>
    </message>
    <message>
        <source>Gap (points)</source>
        <translation>差距（百分点）</translation>
    </message>
    <message>
        <source>Rare</source>
        <translation>少样本</translation>
    </message>
    <message>
        <source>Per-class results</source>
        <translation>各类别结果</translation>
    </message>
    <message>
        <source>Training and validation accuracy per class</source>
        <translation>每个类别的训练集与验证集准确率</translation>
    </message>
    <message>
        <source>Select a trial of a classification experiment in the trials table, then ask for its per-class results.</source>
        <translation>请先在试验表中选择一个分类实验的试验，再查看它的各类别结果。</translation>
    </message>
    <message>
        <source>Reading the trial&apos;s results…</source>
        <translation>正在读取试验结果…</translation>
    </message>
    <message>
        <source>Cannot read the trial: %1</source>
        <translation>无法读取试验：%1</translation>
    </message>
    <message>
        <source>Reading the per-class results</source>
        <translation>读取各类别结果</translation>
    </message>
    <message>
        <source>Trial %1: training against validation accuracy per class</source>
        <translation>试验 %1：每个类别的训练集与验证集准确率</translation>
    </message>
    <message>
        <source>Trial %1 (%2) reported no per-class accuracy: the built-in classification task reports train_acc_class_&lt;name&gt; and val_acc_class_&lt;name&gt;, and a script of your own can report them under the same names.</source>
        <translation>试验 %1（%2）没有上报各类别的准确率：内置的分类任务会上报 train_acc_class_&lt;name&gt; 和 val_acc_class_&lt;name&gt;，你自己的脚本也可以用同样的名称上报。</translation>
    </message>
    <message>
        <source>The data&apos;s class counts could not be read here: samples and rare classes are not shown.</source>
        <translation>这里无法读取数据的类别计数：不显示样本数和少样本类别。</translation>
    </message>
    <message>
        <source>%1 rare: at most half the median class&apos;s samples, listed first. The tuning guide asks to compare their validation results with their training results (Help → Tuning guide: Data comes first); gaps of %2 points or more are in red.</source>
        <translation>%1 少样本：样本数不超过中位数类别的一半，排在最前。调参指南要求重点关注少样本类别在验证集上的结果是否和训练集的出入较大（帮助 → 调参指南：数据优先）；相差 %2 个百分点及以上的以红色显示。</translation>
    </message>
    <message>
        <source>No class is rare (none has at most half the median class&apos;s samples). Classes with the widest gap come first.</source>
        <translation>没有少样本类别（没有类别的样本数不超过中位数类别的一半）。差距最大的类别排在最前。</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <source>training</source>
        <translation>训练集</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证集</translation>
    </message>
    <message>
        <source>rare</source>
        <translation>少样本</translation>
    </message>
</context>
<context>
    <name>PlanEditor</name>
    <message>
        <source>Hyperparameter to add</source>
        <translation>要添加的超参数</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Add the hyperparameter to the plan</source>
        <translation>将该超参数添加到计划中</translation>
    </message>
    <message>
        <source>Add a hyperparameter</source>
        <translation>添加超参数</translation>
    </message>
    <message>
        <source>Find learning rate…</source>
        <translation>寻找学习率…</translation>
    </message>
    <message>
        <source>Find learning rate</source>
        <translation>寻找学习率</translation>
    </message>
    <message>
        <source>Sweep the learning rate over a few mini-batches (Smith 2017&apos;s range test) and compare the suggested range with the guide&apos;s</source>
        <translation>在少量小批次上扫描学习率（Smith 2017 的范围测试），并把建议的范围与指南的范围比较</translation>
    </message>
    <message>
        <source>Hyperparameter</source>
        <translation>超参数</translation>
    </message>
    <message>
        <source>How</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Value, or range from low to high</source>
        <translation>取值，或从下限到上限的范围</translation>
    </message>
    <message>
        <source>Hover over a hyperparameter&apos;s name for what it does and where its recommended range comes from.</source>
        <translation>将鼠标悬停在超参数名称上，可查看它的作用以及推荐范围的出处。</translation>
    </message>
    <message>
        <source>Tier 1 · tune first</source>
        <translation>第一梯队 · 最先调</translation>
    </message>
    <message>
        <source>learning rate, its schedule, the loss terms</source>
        <translation>学习率、学习率策略、损失函数各项</translation>
    </message>
    <message>
        <source>Tier 2 · tune next</source>
        <translation>第二梯队 · 其次调</translation>
    </message>
    <message>
        <source>batch size, momentum</source>
        <translation>批样本数量、动量</translation>
    </message>
    <message>
        <source>Tier 3 · tune last</source>
        <translation>第三梯队 · 最后调</translation>
    </message>
    <message>
        <source>Adam&apos;s betas, regularisation, the network&apos;s shape, set-up</source>
        <translation>Adam 的 beta 参数、正则化、网络结构、运行设置</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>parameters of your own script</source>
        <translation>你自己脚本的参数</translation>
    </message>
    <message>
        <source>choose…</source>
        <translation>请选择…</translation>
    </message>
    <message>
        <source>all are in the plan</source>
        <translation>已全部在计划中</translation>
    </message>
    <message>
        <source>choose or type a name</source>
        <translation>选择或输入名称</translation>
    </message>
    <message>
        <source>low end</source>
        <translation>下限</translation>
    </message>
    <message>
        <source>high end</source>
        <translation>上限</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步长</translation>
    </message>
    <message>
        <source>value</source>
        <translation>取值</translation>
    </message>
    <message>
        <source>choices</source>
        <translation>候选值</translation>
    </message>
    <message>
        <source>condition</source>
        <translation>条件</translation>
    </message>
    <message>
        <source>plan</source>
        <translation>计划</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1 的%2</translation>
    </message>
    <message>
        <source>%1: expected %2, found %3.</source>
        <translation>%1：应为 %2，实际为 %3。</translation>
    </message>
    <message>
        <source>Off: %1</source>
        <translation>未启用：%1</translation>
    </message>
    <message>
        <source>Use %1 to %2</source>
        <translation>使用 %1 至 %2</translation>
    </message>
    <message>
        <source>Recommended initial learning rate for %1 (the guide&apos;s “Suitable ranges of some hyperparameters”): %2 to %3</source>
        <translation>%1 的推荐初始学习率（指南《部分超参数合适范围》）：%2 至 %3</translation>
    </message>
</context>
<context>
    <name>PlanFormats</name>
    <message>
        <source>W&amp;B sweep (*.yaml)</source>
        <translation>W&amp;B sweep (*.yaml)</translation>
    </message>
    <message>
        <source>Optuna distributions (*.json)</source>
        <translation>Optuna 分布 (*.json)</translation>
    </message>
    <message>
        <source>Optuna script (*.py)</source>
        <translation>Optuna 脚本 (*.py)</translation>
    </message>
    <message>
        <source>NNI search space (*.json)</source>
        <translation>NNI 搜索空间 (*.json)</translation>
    </message>
    <message>
        <source>Ray Tune search space (*.py)</source>
        <translation>Ray Tune 搜索空间 (*.py)</translation>
    </message>
    <message>
        <source>Import search space</source>
        <translation>导入搜索空间</translation>
    </message>
    <message>
        <source>Search spaces: W&amp;B, Optuna, NNI, hpdesk (*.yaml *.yml *.json *.toml)</source>
        <translation>搜索空间：W&amp;B、Optuna、NNI、hpdesk (*.yaml *.yml *.json *.toml)</translation>
    </message>
    <message>
        <source>Cannot import the search space</source>
        <translation>无法导入搜索空间</translation>
    </message>
    <message>
        <source>Imported with changes</source>
        <translation>导入时有改动</translation>
    </message>
    <message>
        <source>%1 was read as a %2. What hpdesk could not keep as it was:</source>
        <translation>已将 %1 按 %2 读取。hpdesk 未能原样保留的内容：</translation>
    </message>
    <message>
        <source>Imported %1</source>
        <translation>已导入 %1</translation>
    </message>
    <message>
        <source>The plan is not valid</source>
        <translation>计划无效</translation>
    </message>
    <message>
        <source>Export search space</source>
        <translation>导出搜索空间</translation>
    </message>
    <message>
        <source>Cannot export the search space</source>
        <translation>无法导出搜索空间</translation>
    </message>
    <message>
        <source>Exported with changes</source>
        <translation>导出时有改动</translation>
    </message>
    <message>
        <source>Wrote %1. What the format cannot say:</source>
        <translation>已写入 %1。该格式无法表达的内容：</translation>
    </message>
    <message>
        <source>Wrote %1</source>
        <translation>已写入 %1</translation>
    </message>
</context>
<context>
    <name>PlanHeader</name>
    <message>
        <source>Plan name</source>
        <translation>计划名称</translation>
    </message>
    <message>
        <source>a name for this experiment</source>
        <translation>为此实验取个名字</translation>
    </message>
    <message>
        <source>Objective metric</source>
        <translation>目标指标</translation>
    </message>
    <message>
        <source>The metric each trial is judged by (as it reports it)</source>
        <translation>评判每个试验所用的指标（名称与试验上报的一致）</translation>
    </message>
    <message>
        <source>Add an objective</source>
        <translation>添加目标</translation>
    </message>
    <message>
        <source>Add an objective: search for the trade-off between several (accuracy against training time, say); the comparison shows their Pareto front</source>
        <translation>添加目标：搜索多个目标之间的权衡（例如准确率与训练时间）；对比视图会显示它们的帕累托前沿</translation>
    </message>
    <message>
        <source>Fine-tuning lowers the recommended initial learning rate by one to two orders of magnitude (the guide&apos;s “Suitable ranges of some hyperparameters”).</source>
        <translation>微调时，推荐的初始学习率可再降低一到两个数量级（指南《部分超参数合适范围》）。</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Inspect…</source>
        <translation>检查…</translation>
    </message>
    <message>
        <source>Inspect the data</source>
        <translation>检查数据</translation>
    </message>
    <message>
        <source>Class counts and balance, identical or unreadable files, image sizes, objects&apos; scales: the data as the task reads it (Ctrl+I)</source>
        <translation>类别计数与平衡、内容相同或无法读取的文件、图像尺寸、目标尺度：按任务读取数据的方式检查数据（Ctrl+I）</translation>
    </message>
    <message>
        <source>The %1 task cannot start from pre-trained weights: %2.</source>
        <translation>%1任务不能从预训练权重开始：%2。</translation>
    </message>
    <message>
        <source>metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>which value counts</source>
        <translation>取哪个值</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1，%2</translation>
    </message>
    <message>
        <source>Objective direction</source>
        <translation>优化方向</translation>
    </message>
    <message>
        <source>maximise</source>
        <translation>最大化</translation>
    </message>
    <message>
        <source>minimise</source>
        <translation>最小化</translation>
    </message>
    <message>
        <source>Which value of the metric counts</source>
        <translation>以指标的哪个值为准</translation>
    </message>
    <message>
        <source>Judge a trial by the last value it reported or by its best one</source>
        <translation>按试验上报的最后一个值或其最佳值来评判试验</translation>
    </message>
    <message>
        <source>last value</source>
        <translation>最后一个值</translation>
    </message>
    <message>
        <source>best value</source>
        <translation>最佳值</translation>
    </message>
    <message>
        <source>Objective %1</source>
        <translation>目标 %1</translation>
    </message>
    <message>
        <source>Another metric each trial is judged by (as it reports it)</source>
        <translation>评判每个试验的另一个指标（按试验报告的名称）</translation>
    </message>
    <message>
        <source>e.g. val_loss or train_seconds</source>
        <translation>例如 val_loss 或 train_seconds</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove objective %1</source>
        <translation>移除目标 %1</translation>
    </message>
    <message>
        <source>Fine-tuning a pre-trained model</source>
        <translation>微调预训练模型</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Objective</source>
        <translation>目标</translation>
    </message>
</context>
<context>
    <name>PopulationPanel</name>
    <message>
        <source>Lineage of the population</source>
        <translation>种群的谱系</translation>
    </message>
    <message>
        <source>Hyperparameter schedule of every member</source>
        <translation>每个成员的超参数变化</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>轮次（epoch）</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>成员</translation>
    </message>
    <message>
        <source>Hyperparameter to follow</source>
        <translation>要查看的超参数</translation>
    </message>
    <message>
        <source>A hyperparameter the members change as they train</source>
        <translation>成员在训练过程中会改变的超参数</translation>
    </message>
    <message>
        <source>Schedule of</source>
        <translation>变化曲线：</translation>
    </message>
    <message>
        <source>member %1 (trial %2)</source>
        <translation>成员 %1（试验 %2）</translation>
    </message>
    <message>
        <source>%1 members, %2 exploits so far. Each bar is an interval, coloured by the member whose weights it carries; an arrow marks a member copying a better one.</source>
        <translation>%1 个成员，目前共 %2 次利用（复制）。每一段代表一个训练区间，颜色表示它所携带的权重来自哪个成员；箭头表示一个成员复制了更好的成员。</translation>
    </message>
    <message>
        <source>No member of the population has started yet.</source>
        <translation>种群中还没有成员开始训练。</translation>
    </message>
    <message>
        <source>%1 · trial %2</source>
        <translation>%1 · 试验 %2</translation>
    </message>
    <message>
        <source>Epoch %1: trial %2 (member %3, %4) copied trial %5 (member %6, %7)</source>
        <translation>第 %1 轮：试验 %2（成员 %3，%4）复制了试验 %5（成员 %6，%7）</translation>
    </message>
</context>
<context>
    <name>ReviewPage</name>
    <message>
        <source>Check the plan</source>
        <translation>检查计划</translation>
    </message>
    <message>
        <source>“Fill the plan” puts this plan in the Plan tab, where you can change every range; Launch there starts the experiment.</source>
        <translation>“填入计划”会把此计划放入“计划”标签页，你可以在那里修改每个范围；在那里点击“启动”即开始实验。</translation>
    </message>
    <message>
        <source>Experiment name</source>
        <translation>实验名称</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>Task:</source>
        <translation>任务：</translation>
    </message>
    <message>
        <source>Data:</source>
        <translation>数据：</translation>
    </message>
    <message>
        <source>Runs in:</source>
        <translation>运行位置：</translation>
    </message>
    <message>
        <source>Optimiser:</source>
        <translation>优化器：</translation>
    </message>
    <message>
        <source>Objective:</source>
        <translation>目标：</translation>
    </message>
    <message>
        <source>Trials:</source>
        <translation>试验数：</translation>
    </message>
    <message>
        <source>Searched:</source>
        <translation>搜索的参数：</translation>
    </message>
    <message>
        <source>Command of one example trial</source>
        <translation>示例试验的命令</translation>
    </message>
    <message>
        <source>One trial will run (example values):</source>
        <translation>单个试验将运行（示例取值）：</translation>
    </message>
    <message>
        <source>fine-tuning</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>from scratch</source>
        <translation>从零训练</translation>
    </message>
    <message>
        <source>higher is better</source>
        <translation>越高越好</translation>
    </message>
    <message>
        <source>lower is better</source>
        <translation>越低越好</translation>
    </message>
    <message>
        <source>%1 more fixed at recommended values.</source>
        <translation>另有 %1 个参数固定为推荐值。</translation>
    </message>
    <message>
        <source>the project folder</source>
        <translation>项目文件夹</translation>
    </message>
    <message>
        <source>each trial in its own folder, filled from %1</source>
        <translation>每个试验在自己的文件夹中运行，内容来自 %1</translation>
    </message>
    <message>
        <source>every trial in %1</source>
        <translation>所有试验都在 %1 中运行</translation>
    </message>
    <message>
        <source> (log scale)</source>
        <translation>（对数尺度）</translation>
    </message>
</context>
<context>
    <name>RunSettings</name>
    <message>
        <source>Search strategy</source>
        <translation>搜索策略</translation>
    </message>
    <message>
        <source>Random seed of the search</source>
        <translation>搜索的随机种子</translation>
    </message>
    <message>
        <source>The same seed draws the same trials again</source>
        <translation>相同的种子会再次抽出相同的试验</translation>
    </message>
    <message>
        <source>none (new draws each run)</source>
        <translation>无（每次运行都重新抽取）</translation>
    </message>
    <message>
        <source>Grid values per range</source>
        <translation>网格中每个范围的取值数</translation>
    </message>
    <message>
        <source>How many values of each searched range a grid tries</source>
        <translation>网格搜索在每个搜索范围内尝试多少个值</translation>
    </message>
    <message>
        <source>Number of trials</source>
        <translation>试验数量</translation>
    </message>
    <message>
        <source>Time limit of the experiment</source>
        <translation>实验的时间上限</translation>
    </message>
    <message>
        <source>Stop starting trials after this long: 90s, 30m, 2h, 1d</source>
        <translation>超过这段时间后不再启动新的试验：90s、30m、2h、1d</translation>
    </message>
    <message>
        <source>no limit (e.g. 30m, 2h)</source>
        <translation>不限（例如 30m、2h）</translation>
    </message>
    <message>
        <source>Trials at once</source>
        <translation>同时运行的试验数</translation>
    </message>
    <message>
        <source>How many trials run at the same time</source>
        <translation>同时运行多少个试验</translation>
    </message>
    <message>
        <source>Epochs over all trials</source>
        <translation>所有试验合计的轮数</translation>
    </message>
    <message>
        <source>Stop starting trials once the trials together have trained this many epochs</source>
        <translation>所有试验合计训练满这么多轮后，不再启动新的试验</translation>
    </message>
    <message>
        <source>Steps over all trials</source>
        <translation>所有试验合计的步数</translation>
    </message>
    <message>
        <source>Stop starting trials once the trials together have trained this many steps</source>
        <translation>所有试验合计训练满这么多步后，不再启动新的试验</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Automatic (all GPUs, else CPU)</source>
        <translation>自动（全部 GPU，无则用 CPU）</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>Chosen GPUs</source>
        <translation>指定的 GPU</translation>
    </message>
    <message>
        <source>No GPU found on this machine: trials run on the CPU.</source>
        <translation>本机未找到 GPU：试验将在 CPU 上运行。</translation>
    </message>
    <message>
        <source>Trials per GPU</source>
        <translation>每个 GPU 的试验数</translation>
    </message>
    <message>
        <source>Small models can share a GPU: up to this many trials each</source>
        <translation>小模型可以共用 GPU：每个 GPU 最多同时运行这么多个试验</translation>
    </message>
    <message>
        <source>Time limit per trial</source>
        <translation>单个试验的时间上限</translation>
    </message>
    <message>
        <source>A trial running longer is stopped and counted as failed</source>
        <translation>运行超时的试验会被停止，并记为失败</translation>
    </message>
    <message>
        <source>no limit (e.g. 10m)</source>
        <translation>不限（例如 10m）</translation>
    </message>
    <message>
        <source>Retries of a failed trial</source>
        <translation>失败试验的重试次数</translation>
    </message>
    <message>
        <source>A failed trial is run again with the same values this many times</source>
        <translation>失败的试验会用相同的取值重新运行这么多次</translation>
    </message>
    <message>
        <source>Warm start (built-in tasks)</source>
        <translation>热启动（内置任务）</translation>
    </message>
    <message>
        <source>Start built-in tasks from a warm process</source>
        <translation>从预热的进程启动内置任务</translation>
    </message>
    <message>
        <source>Trials of built-in tasks start in milliseconds from a process that has already loaded PyTorch</source>
        <translation>内置任务的试验从已加载 PyTorch 的进程中启动，只需几毫秒</translation>
    </message>
    <message>
        <source>Strategy</source>
        <translation>策略</translation>
    </message>
    <message>
        <source>Pruner</source>
        <translation>剪枝器</translation>
    </message>
    <message>
        <source>Pruner: which running trials to stop early</source>
        <translation>剪枝器：提前停止哪些运行中的试验</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Values per range</source>
        <translation>每个范围的取值数</translation>
    </message>
    <message>
        <source>Trials</source>
        <translation>试验数</translation>
    </message>
    <message>
        <source>Time limit</source>
        <translation>时间上限</translation>
    </message>
    <message>
        <source>Epochs (all trials)</source>
        <translation>轮数（所有试验）</translation>
    </message>
    <message>
        <source>Steps (all trials)</source>
        <translation>步数（所有试验）</translation>
    </message>
    <message>
        <source>Run on</source>
        <translation>运行于</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>重试次数</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Early stopping (pruning)</source>
        <translation>剪枝/提前停止</translation>
    </message>
    <message>
        <source>Budget</source>
        <translation>预算</translation>
    </message>
    <message>
        <source>Each trial</source>
        <translation>单个试验</translation>
    </message>
    <message>
        <source>cuda:%1 (not on this machine)</source>
        <translation>cuda:%1（不在本机上）</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>%1 GiB</source>
        <translation>%1 GiB</translation>
    </message>
    <message>
        <source>Use GPU %1</source>
        <translation>使用 GPU %1</translation>
    </message>
    <message>
        <source>A grid stops after this many trials even when it has more combinations</source>
        <translation>即使还有更多组合，网格搜索也会在运行这么多个试验后停止</translation>
    </message>
    <message>
        <source>How many trials the search runs</source>
        <translation>搜索总共运行多少个试验</translation>
    </message>
    <message>
        <source>%1 trial(s) at a time: %2 GPU(s) × %3 trial(s) each could run %4; raise “Trials at once” to use them all.</source>
        <translation>同时运行 %1 个试验：%2 个 GPU × 每个 %3 个试验，最多可同时运行 %4 个；调高“同时运行的试验数”即可全部用上。</translation>
    </message>
    <message>
        <source>%1 trial(s) at a time: %2 GPU(s) × %3 trial(s) each.</source>
        <translation>同时运行 %1 个试验：%2 个 GPU × 每个 %3 个试验。</translation>
    </message>
    <message>
        <source>%1 trial(s) at a time on the CPU, sharing its cores.</source>
        <translation>在 CPU 上同时运行 %1 个试验，共用 CPU 的核心。</translation>
    </message>
    <message>
        <source>%1: expected %2, found %3.</source>
        <translation>%1：应为 %2，实际为 %3。</translation>
    </message>
    <message>
        <source>Pick at least one GPU, or run on every GPU (automatic) or on the CPU.</source>
        <translation>请至少选择一个 GPU，或者改为使用全部 GPU（自动）或 CPU。</translation>
    </message>
</context>
<context>
    <name>ScriptPage</name>
    <message>
        <source>Your training script</source>
        <translation>你的训练脚本</translation>
    </message>
    <message>
        <source>hpdesk runs this command once per trial, with that trial&apos;s hyperparameters. It is never passed to a shell.</source>
        <translation>hpdesk 为每个试验运行一次此命令，并传入该试验的超参数。命令不会经过 shell 执行。</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>Project folder</source>
        <translation>项目文件夹</translation>
    </message>
    <message>
        <source>The folder your script and its files are in.</source>
        <translation>脚本及其文件所在的文件夹。</translation>
    </message>
    <message>
        <source>Run each trial in its own folder</source>
        <translation>每个试验在自己的文件夹中运行</translation>
    </message>
    <message>
        <source>Files the script writes, such as model.pt, stay apart: each trial&apos;s folder links the project&apos;s folders and copies its small files.</source>
        <translation>脚本写出的文件（例如 model.pt）互不干扰：每个试验的文件夹链接项目中的文件夹，并复制其中的小文件。</translation>
    </message>
    <message>
        <source>&amp;Project folder:</source>
        <translation>项目文件夹(&amp;P)：</translation>
    </message>
    <message>
        <source>Trial folders:</source>
        <translation>试验文件夹：</translation>
    </message>
    <message>
        <source>Every trial runs in the project folder: trials running at the same time must not write the same files.</source>
        <translation>所有试验都在项目文件夹中运行：同时运行的试验不能写同一个文件。</translation>
    </message>
    <message>
        <source>Type the command that starts your training, for example: python train.py</source>
        <translation>请输入启动训练的命令，例如：python train.py</translation>
    </message>
    <message>
        <source>Choose the project folder: the one your script is in.</source>
        <translation>请选择项目文件夹，即脚本所在的文件夹。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>&amp;Command:</source>
        <translation>命令(&amp;C)：</translation>
    </message>
    <message>
        <source>The command cannot be split into arguments (%1).</source>
        <translation>无法将命令拆分为命令行参数（%1）。</translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 不是文件夹。</translation>
    </message>
</context>
<context>
    <name>SlicePlots</name>
    <message>
        <source>Objective against each parameter</source>
        <translation>目标值与各参数的关系</translation>
    </message>
    <message>
        <source>Slice plots</source>
        <translation>切片图</translation>
    </message>
    <message>
        <source> (log)</source>
        <translation>（对数）</translation>
    </message>
    <message>
        <source>Trial %1</source>
        <translation>试验 %1</translation>
    </message>
</context>
<context>
    <name>StagePanel</name>
    <message>
        <source>Show or hide the stages</source>
        <translation>显示或隐藏各阶段</translation>
    </message>
    <message>
        <source>Stages</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Staged search</source>
        <translation>分阶段搜索</translation>
    </message>
    <message>
        <source>stage %1 of %2: %3 · %4 of %5 trials ended</source>
        <translation>第 %1 / %2 阶段：%3 · %5 个试验中已结束 %4 个</translation>
    </message>
    <message>
        <source>all %1 stages done</source>
        <translation>全部 %1 个阶段已完成</translation>
    </message>
    <message>
        <source>%1 stages, none started yet</source>
        <translation>共 %1 个阶段，尚未开始</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>current</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>to come</source>
        <translation>待进行</translation>
    </message>
    <message>
        <source>Stage %1 · %2</source>
        <translation>阶段 %1 · %2</translation>
    </message>
    <message>
        <source>Opens: %1</source>
        <translation>搜索：%1</translation>
    </message>
    <message>
        <source>%1 trials · %2</source>
        <translation>%1 个试验 · %2</translation>
    </message>
    <message>
        <source>%1 trials · %2 · %3 ended, %4 running</source>
        <translation>%1 个试验 · %2 · 已结束 %3，运行中 %4</translation>
    </message>
    <message>
        <source>%1 trials · %2 · %3 ended</source>
        <translation>%1 个试验 · %2 · 已结束 %3</translation>
    </message>
    <message>
        <source>Narrowed around: %1</source>
        <translation>在其附近缩小范围：%1</translation>
    </message>
    <message>
        <source>Held: %1</source>
        <translation>固定：%1</translation>
    </message>
    <message>
        <source>Held: nothing (the first stage searches alone)</source>
        <translation>固定：无（第一阶段单独搜索）</translation>
    </message>
    <message>
        <source>Best so far: trial %1 (%2 %3)</source>
        <translation>当前最佳：试验 %1（%2 %3）</translation>
    </message>
    <message>
        <source>Importance after this stage: not measured, too few finished trials</source>
        <translation>本阶段后的重要性：未测量，已完成的试验太少</translation>
    </message>
    <message>
        <source>Importance after this stage (%1, %2 trials): %3</source>
        <translation>本阶段后的重要性（%1，%2 个试验）：%3</translation>
    </message>
    <message>
        <source>The order agrees with the guide&apos;s tiers.</source>
        <translation>排序与指南的梯队一致。</translation>
    </message>
    <message>
        <source>%1 (tier %2, %3) mattered more than %4 (tier %5, %6)</source>
        <translation>%1（第 %2 梯队，%3）比 %4（第 %5 梯队，%6）更重要</translation>
    </message>
    <message>
        <source>Later stages&apos; hyperparameters at their defaults: %1</source>
        <translation>后续阶段的超参数取默认值：%1</translation>
    </message>
</context>
<context>
    <name>States</name>
    <message>
        <source>queued</source>
        <extracomment>A widget property: true on what only makes sense on screen (hints, what is under the mouse), left out of exported images. One colour per trial state, shared by the trials table and the curves. Where a trial&apos;s curve ended, the marker&apos;s shape (pyqtgraph symbols) tells why as well as its colour: a pruner&apos;s cut (down triangle) never looks like a person&apos;s stop (square).</extracomment>
        <translation>排队中</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>no objective</source>
        <translation>无目标值</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>pruned</source>
        <translation>已剪枝</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>diverged</source>
        <translation>已发散</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>created</source>
        <translation>已创建</translation>
    </message>
    <message>
        <source>Stopped early by the plan&apos;s pruner (early stopping)</source>
        <translation>被计划的剪枝器提前停止（剪枝）</translation>
    </message>
    <message>
        <source>Stopped by a person</source>
        <translation>由人工停止</translation>
    </message>
    <message>
        <source>Paused: waiting for the rest of its generation (population-based training)</source>
        <translation>已暂停：等待同一代的其他成员（基于种群的训练）</translation>
    </message>
</context>
<context>
    <name>TaskPage</name>
    <message>
        <source>What do you want to tune?</source>
        <translation>你想调优什么？</translation>
    </message>
    <message>
        <source>Pick the kind of training. hpdesk fills in the hyperparameters that matter for it, with recommended ranges.</source>
        <translation>选择训练的类型，hpdesk 会填入对它重要的超参数以及推荐的取值范围。</translation>
    </message>
</context>
<context>
    <name>TrainerPythonDialog</name>
    <message>
        <source>Trainer Python</source>
        <translation>训练用 Python</translation>
    </message>
    <message>
        <source>Python in use</source>
        <translation>当前使用的 Python</translation>
    </message>
    <message>
        <source>Trials now run with: %1</source>
        <translation>试验目前使用：%1</translation>
    </message>
    <message>
        <source>none chosen yet</source>
        <translation>尚未选择</translation>
    </message>
    <message>
        <source>Each trial imports torch (and hpdesk). The Python this window runs in may not have torch, or not the build for your GPU; choose one that does, for example the python of your training environment.</source>
        <translation>每个试验都会导入 torch（以及 hpdesk）。运行此窗口的 Python 可能没有 torch，或者没有适合你的 GPU 的版本；请选择一个有的，例如你训练环境中的 python。</translation>
    </message>
    <message>
        <source>Why choose another Python</source>
        <translation>为什么要选择另一个 Python</translation>
    </message>
    <message>
        <source>Trainer Python path</source>
        <translation>训练用 Python 的路径</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Browse for a Python</source>
        <translation>浏览选择一个 Python</translation>
    </message>
    <message>
        <source>Use this window&apos;s Python</source>
        <translation>使用此窗口的 Python</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Python that runs the trials</source>
        <translation>运行试验的 Python</translation>
    </message>
    <message>
        <source>There is no file %1.</source>
        <translation>文件 %1 不存在。</translation>
    </message>
</context>
<context>
    <name>TrainingPage</name>
    <message>
        <source>How to train</source>
        <translation>训练方式</translation>
    </message>
    <message>
        <source>The task and the optimiser set the learning-rate ranges that are searched.</source>
        <translation>任务和优化器决定要搜索的学习率范围。</translation>
    </message>
    <message>
        <source>Optimiser</source>
        <translation>优化器</translation>
    </message>
    <message>
        <source>Train from scratch</source>
        <translation>从零训练</translation>
    </message>
    <message>
        <source>Fine-tune a pre-trained model</source>
        <translation>微调预训练模型</translation>
    </message>
    <message>
        <source>Fine-tuning searches learning rates one to two orders of magnitude lower, so the pre-trained weights are not destroyed.</source>
        <translation>微调时搜索的学习率要低一到两个数量级，以免破坏预训练得到的权重。</translation>
    </message>
    <message>
        <source>Pre-trained checkpoint:</source>
        <translation>预训练检查点：</translation>
    </message>
    <message>
        <source>Pre-trained checkpoint</source>
        <translation>预训练检查点</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>checkpoint.pt of a finished classification trial</source>
        <translation>已完成的分类试验的 checkpoint.pt</translation>
    </message>
    <message>
        <source>Number of trials</source>
        <translation>试验数量</translation>
    </message>
    <message>
        <source>&amp;Optimiser:</source>
        <translation>优化器(&amp;O)：</translation>
    </message>
    <message>
        <source>Start:</source>
        <translation>起点：</translation>
    </message>
    <message>
        <source>&amp;Trials:</source>
        <translation>试验数(&amp;T)：</translation>
    </message>
    <message>
        <source>Pre-trained weights: %1.</source>
        <translation>预训练权重：%1。</translation>
    </message>
    <message>
        <source>The %1 task cannot start from pre-trained weights: %2.</source>
        <translation>%1任务不能从预训练权重开始：%2。</translation>
    </message>
    <message>
        <source>Learning rates searched: %1 to %2.</source>
        <translation>搜索的学习率：%1 至 %2。</translation>
    </message>
    <message>
        <source>%1 fixed at %2</source>
        <translation>%1 固定为 %2</translation>
    </message>
    <message>
        <source>%1 from %2 to %3</source>
        <translation>%1 从 %2 到 %3</translation>
    </message>
    <message>
        <source>Learning rates searched: %1.</source>
        <translation>搜索的学习率：%1。</translation>
    </message>
    <message>
        <source>Fine-tuning starts from pre-trained weights: choose a checkpoint file (a finished classification trial&apos;s checkpoint.pt).</source>
        <translation>微调从预训练权重开始：请选择一个检查点文件（已完成的分类试验的 checkpoint.pt）。</translation>
    </message>
    <message>
        <source>%1 is not a file.</source>
        <translation>%1 不是文件。</translation>
    </message>
</context>
<context>
    <name>TrialActions</name>
    <message>
        <source>Choose the Python that trains</source>
        <translation>选择用于训练的 Python</translation>
    </message>
    <message>
        <source>Trials run in a Python that has torch and hpdesk installed. Choose it in Settings → Trainer Python…, then try again.</source>
        <translation>试验需要在安装了 torch 和 hpdesk 的 Python 中运行。请在“设置 → 训练用 Python…”中选择它，然后重试。</translation>
    </message>
    <message>
        <source>Run this command?</source>
        <translation>运行此命令？</translation>
    </message>
    <message>
        <source>Each trial will run this command (shown with example parameters; each trial gets its own):

%1

Run it?</source>
        <translation>每个试验都会运行这条命令（这里用示例参数显示，每个试验有各自的参数）：

%1

要运行吗？</translation>
    </message>
    <message>
        <source>Starting the scheduler…</source>
        <translation>正在启动调度器…</translation>
    </message>
    <message>
        <source>Experiment %1 started</source>
        <translation>实验 %1 已启动</translation>
    </message>
    <message>
        <source>The experiment did not start</source>
        <translation>实验未能启动</translation>
    </message>
    <message>
        <source>Launch</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Stopping: running trials save their metrics first…</source>
        <translation>正在停止：运行中的试验会先保存指标…</translation>
    </message>
    <message>
        <source>Experiment %1: %2</source>
        <translation>实验 %1：%2</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Experiment %1 is already running</source>
        <translation>实验 %1 已在运行</translation>
    </message>
    <message>
        <source>Experiment %1 resumed</source>
        <translation>实验 %1 已继续运行</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Asked %1 trial(s) to stop</source>
        <translation>已请求停止 %1 个试验</translation>
    </message>
    <message>
        <source>Stop trial</source>
        <translation>停止试验</translation>
    </message>
    <message>
        <source>Queued as trial(s) %1</source>
        <translation>已作为试验 %1 加入队列</translation>
    </message>
    <message>
        <source>Run again</source>
        <translation>重新运行</translation>
    </message>
    <message>
        <source>No log</source>
        <translation>没有日志</translation>
    </message>
    <message>
        <source>Trial %1 has no log yet: it has not started.</source>
        <translation>试验 %1 还没有日志：它尚未开始。</translation>
    </message>
    <message>
        <source>Log of trial %1</source>
        <translation>试验 %1 的日志</translation>
    </message>
</context>
<context>
    <name>TrialList</name>
    <message>
        <source>Trials shown</source>
        <translation>显示的试验</translation>
    </message>
    <message>
        <source>Untick a trial to hide its curve; double-click to select it in the table</source>
        <translation>取消勾选可隐藏该试验的曲线；双击可在表格中选中该试验</translation>
    </message>
    <message>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <source>Trial %1: %2</source>
        <translation>试验 %1：%2</translation>
    </message>
</context>
<context>
    <name>TrialsModel</name>
    <message>
        <source>Objective</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Best so far</source>
        <translation>当前最佳</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>拟合</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Elapsed</source>
        <translation>已用时间</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>The objective %1; higher is better.</source>
        <translation>目标指标 %1，越高越好。</translation>
    </message>
    <message>
        <source>The objective %1; lower is better.</source>
        <translation>目标指标 %1，越低越好。</translation>
    </message>
    <message>
        <source>Running trials show their latest value in italics.</source>
        <translation>运行中的试验以斜体显示最新值。</translation>
    </message>
    <message>
        <source>The best objective of the completed trials up to this one.</source>
        <translation>截至本试验，已完成试验中的最佳目标值。</translation>
    </message>
    <message>
        <source>The stage of the staged search the trial ran in (1: the first).</source>
        <translation>该试验所属的分阶段搜索的阶段（1 为第一阶段）。</translation>
    </message>
    <message>
        <source>Another objective of the plan (see the Pareto front).</source>
        <translation>计划的另一个目标（见帕累托前沿）。</translation>
    </message>
    <message>
        <source>Epochs done of the epochs planned.</source>
        <translation>已完成的轮数 / 计划的轮数。</translation>
    </message>
    <message>
        <source>Fit-state findings read from the curves: divergence, a learning rate too high, over-fitting, under-fitting, a plateau, a GAN&apos;s collapse. Enter or a double-click lists them in full.</source>
        <translation>从曲线读出的拟合状态发现：发散、学习率过大、过拟合、欠拟合、平台期、GAN 的一方崩溃。按 Enter 或双击可列出全部内容。</translation>
    </message>
    <message>
        <source>Time left, if the rest goes at the pace so far.</source>
        <translation>按目前的速度估计的剩余时间。</translation>
    </message>
    <message>
        <source>A re-run: the same parameters as an earlier trial.</source>
        <translation>重新运行：与之前某个试验的参数相同。</translation>
    </message>
    <message>
        <source>A re-run of trial %1: the same parameters, run again (by Run again, or retried after a failure).</source>
        <translation>试验 %1 的重新运行：参数相同，再运行一次（通过“用相同的参数重新运行”，或失败后自动重试）。</translation>
    </message>
    <message>
        <source>No metric point, no output and no CPU time for %1 min: the trial may be hung (executor.stall_timeout).</source>
        <translation>已有 %1 分钟没有指标点、没有输出、也没有 CPU 时间：试验可能已卡住（executor.stall_timeout）。</translation>
    </message>
    <message>
        <source>Latest value; the trial is still running.</source>
        <translation>最新值；试验仍在运行。</translation>
    </message>
    <message>
        <source>%1 (stalled)</source>
        <translation>%1（停滞）</translation>
    </message>
</context>
<context>
    <name>TrialsProxy</name>
    <message>
        <source>“%1” is not a condition: write name&lt;value, name&gt;=value or name=value.</source>
        <translation>“%1”不是条件：请写成 名称&lt;值、名称&gt;=值 或 名称=值。</translation>
    </message>
    <message>
        <source>No column or metric is called “%1”.</source>
        <translation>没有名为“%1”的列或指标。</translation>
    </message>
    <message>
        <source>“%1” compares with “%2”, which is not a number.</source>
        <translation>“%1”与“%2”比较，但后者不是数字。</translation>
    </message>
    <message>
        <source>“%1” is not a trial state.</source>
        <translation>“%1”不是试验状态。</translation>
    </message>
</context>
<context>
    <name>TrialsView</name>
    <message>
        <source>Filter trials</source>
        <translation>筛选试验</translation>
    </message>
    <message>
        <source>Filter: words, or conditions such as lr&gt;0.01 batch_size&lt;=64</source>
        <translation>筛选：输入关键词，或 lr&gt;0.01 batch_size&lt;=64 这样的条件</translation>
    </message>
    <message>
        <source>Words must appear in the row; name&lt;value, name&gt;=value, name=value compare a parameter, objective, best, progress, number or state.</source>
        <translation>关键词必须出现在该行中；name&lt;value、name&gt;=value、name=value 可比较某个参数，或 objective（目标）、best（当前最佳）、progress（进度）、number（编号）、state（状态）。</translation>
    </message>
    <message>
        <source>Show trials in state</source>
        <translation>按状态显示试验</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>所有状态</translation>
    </message>
    <message>
        <source>Trials</source>
        <translation>试验列表</translation>
    </message>
    <message>
        <source>Copy parameters</source>
        <translation>复制参数</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Run again with the same parameters</source>
        <translation>用相同的参数重新运行</translation>
    </message>
    <message>
        <source>Open log</source>
        <translation>打开日志</translation>
    </message>
    <message>
        <source>Show in plot</source>
        <translation>在图中显示</translation>
    </message>
    <message>
        <source>Per-class results…</source>
        <translation>各类别结果…</translation>
    </message>
    <message>
        <source>Fit-state findings…</source>
        <translation>拟合状态发现…</translation>
    </message>
    <message>
        <source>%1 trials</source>
        <translation>%1 个试验</translation>
    </message>
    <message>
        <source>%1 of %2 trials</source>
        <translation>%1 / %2 个试验</translation>
    </message>
</context>
<context>
    <name>Unsaved</name>
    <message>
        <source>Unsaved plan</source>
        <translation>未保存的计划</translation>
    </message>
    <message>
        <source>The plan has edits that are not saved.</source>
        <translation>计划有未保存的修改。</translation>
    </message>
    <message>
        <source>Save them before going on?</source>
        <translation>继续之前要保存吗？</translation>
    </message>
    <message>
        <source>The plan has problems, so it cannot be saved as it is. Discard the edits?</source>
        <translation>计划有问题，无法按原样保存。要放弃这些修改吗？</translation>
    </message>
</context>
<context>
    <name>_PollWorker</name>
    <message>
        <source>Cannot open %1: %2</source>
        <extracomment>The GUI thread hands results on for at most this long per pass of its event loop: the worker reads 2,000 whole curves faster than the views draw them, and Qt delivers every result queued before a pass in that pass (benchmarks/gui_scale.py: an 18 s stall). A one-row summary of an experiment&apos;s trial rows that changes when any shown column does: a sum per number column (each its own, so a small change is not lost beside large ones), every state in order, and the lengths and first characters of the text columns. A change it cannot see (equal sums that cancel out) is read at the next full read, `FULL_READ_S` later at most. Events with a payload the views draw: staged search (stage, stage_end, importance), PBT.</extracomment>
        <translation>无法打开 %1：%2</translation>
    </message>
    <message>
        <source>The database %1 was removed; the curves stop updating.</source>
        <translation>数据库 %1 已被删除，曲线不再更新。</translation>
    </message>
    <message>
        <source>Cannot read the database (%1); trying again.</source>
        <translation>无法读取数据库（%1），正在重试。</translation>
    </message>
    <message>
        <source>The curves stopped updating after an error: %1</source>
        <translation>曲线因出错已停止更新：%1</translation>
    </message>
</context>
</TS>
