"""Build evals/bias/variants.jsonl: 12 groups x 5 forms of the same answer content.

Base / long / formal / english texts are written by hand below; the traditional variant is the
base text converted character by character with OpenCC (s2tw: Taiwan-standard characters, no
vocabulary substitution) and was proof-read. Scores are computed from labels and rubric weights.
Run from the repository root:  PYTHONPATH=<dir with opencc> python evals/bias/build.py
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import opencc
import yaml

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics/internet-bank-cs-manager-2026.yaml"
OUT = Path(__file__).resolve().parent / "variants.jsonl"
CREDIT = {"covered": Decimal("1"), "partial": Decimal("0.5"), "missing": Decimal("0")}
C, P, M = "covered", "partial", "missing"

GROUPS = [
    # ------------------------------------------------------------------ behavioral
    dict(
        qid="behavioral-2",
        labels=dict(p1=C, p2=P, p3=C, p4=M, p5=C),
        why="p1 在线上几秒无回应即流失、重视响应速度与效率；p2 partial：只讲多渠道入口，没讲数据驱动；p3 熟练掌握智能工单系统；p4 missing：未提数据分析；p5 提前学习新业务以应对咨询。",
        base="我觉得最大的区别在节奏上。传统银行的客户是到网点排队办事，互联网银行的客户全在线上，几秒钟没人回应可能就走了，所以特别看重响应速度和处理效率。另外客户找我们的入口也多，APP、小程序、智能客服都会有人来问。我的适应办法，一是尽快把智能工单系统这类数字化工具用熟；二是保持学习，像新上线的理财产品、数字人民币这些新业务，我会提前学透，客户问起来能答得上。",
        long="谢谢面试官，这个问题我在来的路上也想过。今天早上地铁特别挤，我站了一路，差点坐过站，好在出门早，没有耽误。我老家是一个小县城，我爸妈到现在还是习惯去网点办事，每次回家都要陪他们去一趟，顺便在旁边的早餐店吃碗馄饨，那家店开了二十多年了。说回正题，我觉得最大的区别在节奏上。传统银行的客户是到网点排队办事，互联网银行的客户全在线上，几秒钟没人回应可能就走了，所以特别看重响应速度和处理效率。另外客户找我们的入口也多，APP、小程序、智能客服都会有人来问。我的适应办法，一是尽快把智能工单系统这类数字化工具用熟；二是保持学习，像新上线的理财产品、数字人民币这些新业务，我会提前学透，客户问起来能答得上。以上是我的一点想法。我平时周末喜欢爬山，去年把本地几座山都爬了一遍，上个月还跟朋友去了一趟黄山，山顶的云海特别壮观，下山的时候腿都软了，不过觉得很值。",
        formal="本人认为，二者最大的区别在于服务节奏。传统银行客户须前往网点排队办理业务，而互联网银行客户均在线上，若数秒内未获回应即可能流失，因此尤为注重响应速度与处理效率。此外，客户的接入渠道较多，APP、小程序及智能客服均有客户咨询。本人的适应方式如下：其一，尽快熟练掌握智能工单系统等数字化工具；其二，保持学习，对新上线的理财产品、数字人民币等新业务，本人将提前深入学习，确保客户咨询时能够准确作答。",
        english="I think the biggest difference is the pace. Customers of a traditional bank go to a branch and queue up, while an internet bank's customers are all online, and if nobody responds within a few seconds they may just leave, so response speed and handling efficiency matter a lot. Customers also reach us through many entry points: the app, mini-programs and the AI chatbot all bring in questions. How I'd adapt: first, get fluent as fast as possible with digital tools like the smart ticketing system; second, keep learning. For new businesses such as newly launched wealth-management products or the digital yuan, I'll study them thoroughly in advance so that I can answer when customers ask.",
    ),
    dict(
        qid="behavioral-3",
        labels=dict(p1=C, p2=M, p3=P, p4=C, p5=M),
        why="p1 账户被盗、资金损失立即优先；p2 missing：未提VIP/老客户；p3 partial：只说会考虑复杂程度，没说跨部门问题优先启动；p4 其余按进线先后；p5 missing：未说明效率与公平原则。",
        base="五个投诉一起进来，我会先花一两分钟快速浏览一遍。凡是涉及账户被盗、资金损失的，我马上优先处理，这种事晚一分钟，客户可能就多损失一笔钱。问题的复杂程度我也会考虑进去。剩下的投诉就按进线的先后顺序，一个一个处理，先来的先办。",
        long="这种情况我在上一份工作里其实遇到过不少。我之前在一家电商公司做了两年客服，每年双十一那几天电话几乎没停过，我们组长还会自掏腰包给大家订奶茶，说是给大家打打气，那几天大家连午饭都是轮流吃的。那时候的办公室在一栋老写字楼的十二层，电梯经常要等很久，我后来干脆每天走楼梯，半年下来体力好了不少。回到这个问题，五个投诉一起进来，我会先花一两分钟快速浏览一遍。凡是涉及账户被盗、资金损失的，我马上优先处理，这种事晚一分钟，客户可能就多损失一笔钱。问题的复杂程度我也会考虑进去。剩下的投诉就按进线的先后顺序，一个一个处理，先来的先办。这就是我的思路。说起来我们那时候的工位靠窗，忙完一抬头天都黑了，楼下的路灯一盏一盏亮起来，现在回想起来，还挺怀念那段日子的，当时一起熬过双十一的几个同事到现在还经常约着吃饭。",
        formal="如高峰期同时收到五个投诉，本人将首先用一至两分钟快速浏览全部内容。凡涉及账户被盗、资金损失的投诉，本人将立即优先处理，因为此类问题每延误一分钟，客户都可能遭受进一步的资金损失。问题的复杂程度亦将纳入考虑。其余投诉则按进线先后顺序逐一处理，先到先办。",
        english="If five complaints come in at once, I'd first take a minute or two to skim through all of them. Anything involving a stolen account or lost money I'd deal with first, right away, because with that kind of thing every minute of delay could mean the customer loses more money. I'd also take into account how complex each problem is. The remaining complaints I'd handle one by one in the order they came in, first come, first served.",
    ),
    dict(
        qid="behavioral-5",
        labels=dict(p1=C, p2=C, p3=P, p4=M),
        why="p1 当场承认说错并道歉；p2 申请补偿滞纳金；p3 partial：反思了原因（没查最新规则），但没提改进建议；p4 missing：无服务日志/定期复盘等持续改进。",
        base="有过。有一次客户问我转账多久到账，我凭印象说当天到，结果实际要第二天，他的信用卡因此逾期，被收了一笔滞纳金，打电话来把我骂了一顿。我当场承认是我说错了，认真跟他道了歉，然后向主管申请，帮他把这笔滞纳金补上了，客户最后也接受了。事后我也想了想原因，是我没有去查最新的到账规则，只凭印象回答。",
        long="有过。那是我刚入职第三个月的事，那时候我还住在公司附近的合租房里，每天走路十分钟上班，路上会经过一个小公园，早上有很多老人在那里打太极。那天刚好是周五，下午还下着大雨，办公室里好几个同事都在讨论周末去哪儿玩。有一次客户问我转账多久到账，我凭印象说当天到，结果实际要第二天，他的信用卡因此逾期，被收了一笔滞纳金，打电话来把我骂了一顿。我当场承认是我说错了，认真跟他道了歉，然后向主管申请，帮他把这笔滞纳金补上了，客户最后也接受了。事后我也想了想原因，是我没有去查最新的到账规则，只凭印象回答。那段时间我刚开始学做饭，每天下班回去都要对着视频研究菜谱，第一次做红烧肉把锅都烧糊了，室友笑了我好几天，现在倒是能做几个像样的家常菜了，周末偶尔还会请朋友来家里吃饭。",
        formal="有过。曾有客户询问转账到账时间，本人凭印象答复为当日到账，实际却需次日到账，致使其信用卡逾期并产生一笔滞纳金，客户因此来电严厉指责。本人当即承认答复有误，郑重向其致歉，随后向主管提出申请，为其补偿了该笔滞纳金，客户最终表示接受。事后本人亦反思了原因：未查询最新的到账规则，仅凭印象作答。",
        english="Yes. Once a customer asked me how long a transfer would take to arrive. Going from memory, I said the same day, but it actually took until the next day, so his credit card went overdue and he was charged a late fee. He called and gave me an earful. I admitted on the spot that I had got it wrong and sincerely apologised to him, then applied to my supervisor to reimburse the late fee for him, and in the end the customer accepted. Afterwards I also thought about why it happened: I hadn't checked the latest rules on when transfers arrive and had just answered from memory.",
    ),
    # ------------------------------------------------------------------ situational
    dict(
        qid="situational-1",
        labels=dict(p1=C, p2=C, p3=M, p4=P),
        why="p1 不当场争论、安抚、引导下播后私下沟通；p2 查风险测评结果并解释产品风险等级；p3 missing：无风险揭示书、未建议重新评估；p4 partial：只说复盘直播，未说优化话术。",
        base="直播里我不会跟客户当场争论，先安抚他一句，说您的担心我们很重视，请他留个联系方式，下播后我一对一私下跟他沟通。私下沟通时，我会先查他做过的风险测评结果，再给他讲这款产品投向哪些资产、为什么被评为中风险等级。事后我也会跟团队把这场直播复盘一下。",
        long="这个问题挺有画面感的。我自己平时也爱看直播，尤其是做饭类的，主播一边切菜一边跟观众聊天，看着特别解压，有时候一看就是一晚上。我妈最近也开始在直播间买水果了，每次到货都要拍照发到家庭群里，问我们好不好看。说回这个场景，直播里我不会跟客户当场争论，先安抚他一句，说您的担心我们很重视，请他留个联系方式，下播后我一对一私下跟他沟通。私下沟通时，我会先查他做过的风险测评结果，再给他讲这款产品投向哪些资产、为什么被评为中风险等级。事后我也会跟团队把这场直播复盘一下。大概就是这样。另外我大学是在南方读的，那边夏天特别长，宿舍没有空调，我们几个室友晚上经常跑到图书馆蹭空调，顺便看看书，毕业的时候大家还约好每年聚一次，到现在已经坚持三年了，每次换一个城市。",
        formal="本人不会在直播中与客户当场争论，而是先予以安抚，表明我方高度重视其关切，并请其留下联系方式，于直播结束后进行一对一私下沟通。沟通时，本人将首先查询其风险测评结果，再向其说明该产品的投资标的，以及被评定为中风险等级的原因。事后，本人亦将与团队对本场直播进行复盘。",
        english="I wouldn't argue with the customer on the spot during the livestream. I'd first calm him down with a line like \"we take your concern very seriously\", ask him to leave his contact details, and after the stream I'd talk with him one-on-one in private. In that private conversation I'd first look up the result of the risk assessment he took, then explain what assets the product invests in and why it's rated medium risk. Afterwards I'd also go over the livestream with the team.",
    ),
    dict(
        qid="situational-2",
        labels=dict(p1=C, p2=C, p3=M, p4=M),
        why="p1 理解客户着急并解释线上规定及其必要性（账户安全）；p2 视频通话远程指导排查登录问题；p3 missing：未提按流程申请特殊服务；p4 missing：未记录意见推动流程优化。",
        base="我能理解客户着急，登录不上什么都办不了。我会先跟他解释，我们是纯线上银行，规定只在线上解决，这也是为了账户安全，线上核验身份更可靠。然后我会约他视频通话，一边看他的手机屏幕一边一步步指导，帮他排查是密码被锁定、APP版本太旧还是换了新手机，尽量当场把登录问题解决。",
        long="谢谢面试官。我先简单说一下我自己，我大学学的是市场营销，毕业后做过一年的行政，后来才转到客服岗位，这几年慢慢发现自己挺喜欢跟人打交道的。我平时周末喜欢去图书馆看书，尤其是历史类的，最近在读一本讲宋朝的书，里面写的市井生活特别有意思。回到题目，我能理解客户着急，登录不上什么都办不了。我会先跟他解释，我们是纯线上银行，规定只在线上解决，这也是为了账户安全，线上核验身份更可靠。然后我会约他视频通话，一边看他的手机屏幕一边一步步指导，帮他排查是密码被锁定、APP版本太旧还是换了新手机，尽量当场把登录问题解决。这就是我的做法。说起来今天天气真不错，我来的时候看到公司楼下那排银杏都黄了，风一吹叶子落了一地，好多人在那儿拍照，我也忍不住停下来拍了几张发给家里人看。",
        formal="本人能够理解客户的焦急心情，无法登录即无法办理任何业务。本人将首先向其说明：本行为纯线上银行，按规定仅通过线上渠道解决问题，此举亦是出于账户安全考虑，线上核验身份更为可靠。随后，本人将与客户预约视频通话，一边查看其手机屏幕一边逐步指导，协助其排查密码被锁定、APP版本过旧或更换新手机等原因，力争当场解决登录问题。",
        english="I can understand the customer's frustration: if he can't log in, he can't do anything. I'd first explain to him that we're a purely online bank and the rule is that issues are resolved online only, which is also for the sake of account security, since verifying identity online is more reliable. Then I'd set up a video call with him and, while looking at his phone screen, guide him step by step to check whether his password is locked, his app version is too old or he has switched to a new phone, and try to fix the login problem right there.",
    ),
    dict(
        qid="situational-4",
        labels=dict(p1=C, p2=C, p3=P, p4=M),
        why="p1 核实身份并查异常交易、确认资金安全；p2 解释伪基站短信+假链接手段并提醒防范；p3 partial：只说可找官方渠道，未给出具体防诈渠道；p4 missing：未提协助报案或行内风险提示。",
        base="我会先核实客户身份，再查一下账户最近有没有异常交易，确认他的钱是安全的。然后跟他解释，这是很常见的冒充银行诈骗，骗子用伪基站群发短信，附上假链接骗人输密码和验证码，提醒他以后别点这类链接，验证码对谁都不能说。遇到这种情况，也可以找官方渠道求助。",
        long="好的，谢谢面试官。这个问题让我想起前几天我在小区楼下碰到的一件小事，邻居阿姨拎着一大袋橘子，袋子破了滚了一地，我帮她捡了半天，她非要塞给我几个，说是老家寄来的，特别甜。我家里养了一只橘猫，那几个橘子它闻了半天，最后还是嫌弃地走开了。说回正题，我会先核实客户身份，再查一下账户最近有没有异常交易，确认他的钱是安全的。然后跟他解释，这是很常见的冒充银行诈骗，骗子用伪基站群发短信，附上假链接骗人输密码和验证码，提醒他以后别点这类链接，验证码对谁都不能说。遇到这种情况，也可以找官方渠道求助。我大概就是这么处理的。另外说一句，我平时很喜欢跑步，每周会跑三四次，每次五公里左右，去年还第一次参加了半程马拉松，虽然成绩一般，但是跑完那一刻特别有成就感，今年打算再报一次，争取跑进两个小时。",
        formal="本人将首先核实客户身份，并查询其账户近期有无异常交易，以确认资金安全。随后向客户说明，此类情形属常见的冒充银行诈骗：不法分子利用伪基站群发短信，附带虚假链接，诱骗用户输入密码及验证码。本人将提醒其今后切勿点击此类链接，验证码不得向任何人透露。如遇此类情况，亦可向官方渠道求助。",
        english="I'd first verify the customer's identity, then check whether there has been any unusual activity on the account recently, to make sure his money is safe. Then I'd explain to him that this is a very common bank-impersonation scam: fraudsters use fake base stations to mass-send text messages with fake links that trick people into entering their passwords and verification codes. I'd remind him never to click such links in future and never to tell anyone a verification code. In a situation like this, he can also turn to official channels for help.",
    ),
    # ------------------------------------------------------------------ knowledge
    dict(
        qid="knowledge-1",
        labels=dict(p1=C, p2=C, p3=M, p4=P),
        why="p1 传统银行人工审核 vs 互联网银行大数据风控（资金关系网）；p2 AI模型识别高频小额等异常交易；p3 missing：无客户画像/动态阈值；p4 partial：只有“员工培训也不能少”，没说提高可疑交易识别能力。",
        base="我觉得最大的差异在监控手段上。传统银行主要靠柜员和后台人工一笔笔审核；互联网银行的客户都在线上，主要靠大数据风控，比如分析账户之间的资金往来关系网。应对线上监控的挑战，我认为可以用AI模型实时识别异常交易，像短时间内大量小额转入转出这种。员工培训也不能少。",
        long="谢谢面试官，这个问题我之前准备面试的时候查过一些资料。说到这个，我想起大学时候选修过一门金融史的课，老师特别风趣，讲到古代钱庄的故事能讲一整节课，那门课的期末考试是开卷的，我们宿舍几个人还一起熬夜整理过笔记，后来都考得不错。回到题目，我觉得最大的差异在监控手段上。传统银行主要靠柜员和后台人工一笔笔审核；互联网银行的客户都在线上，主要靠大数据风控，比如分析账户之间的资金往来关系网。应对线上监控的挑战，我认为可以用AI模型实时识别异常交易，像短时间内大量小额转入转出这种。员工培训也不能少。以上就是我的看法。顺便说一下，我平时挺喜欢下围棋的，小时候跟着爷爷学的，现在周末偶尔还会在网上下两盘，虽然水平一般，输多赢少，但是下棋的时候能让人静下心来，我觉得这个爱好挺好的。",
        formal="本人认为，二者最大的差异在于监控手段。传统银行主要依靠柜员及后台人员逐笔人工审核；互联网银行的客户均在线上，主要依托大数据风控，例如分析账户之间的资金往来关系网络。针对线上监控的挑战，本人认为可运用AI模型实时识别异常交易，如短时间内大量小额资金转入转出等情形。员工培训亦不可或缺。",
        english="I think the biggest difference lies in the means of monitoring. Traditional banks mainly rely on tellers and back-office staff reviewing transactions manually, one by one; an internet bank's customers are all online, so it relies mainly on big-data risk control, for example analysing the network of fund flows between accounts. To meet the challenge of monitoring online transactions, I think we can use AI models to spot abnormal transactions in real time, such as lots of small transfers in and out within a short period. Staff training is also a must.",
    ),
    dict(
        qid="knowledge-3",
        labels=dict(p1=C, p2=C, p3=M, p4=P),
        why="p1 核实身份并核对绑定账户信息；p2 逐步指导在APP解绑、重新绑定；p3 missing：未提醒重复绑定/盗刷风险；p4 partial：只留存操作记录，未确认客户是否在交易中受损。",
        base="我会先核实客户身份，问清楚他要解绑的是哪张卡，跟系统里绑定的账户信息核对一致。然后指导他操作：打开APP进入“我的—银行卡管理”，选中绑错的那张卡，点解除绑定，再点添加银行卡，输入正确的卡号，用预留手机号收验证码完成绑定。最后我会把这次操作记录下来。",
        long="好的。说到绑卡，我想起我第一次办银行卡还是上大学报到那天，学校统一组织的，大家在操场上排了很长的队，那天太阳特别大，好多同学都晒黑了，我旁边排队的就是后来我大学四年的室友，我们俩就是那时候认识的。现在想想，一晃都好多年了。说回这个问题，我会先核实客户身份，问清楚他要解绑的是哪张卡，跟系统里绑定的账户信息核对一致。然后指导他操作：打开APP进入“我的—银行卡管理”，选中绑错的那张卡，点解除绑定，再点添加银行卡，输入正确的卡号，用预留手机号收验证码完成绑定。最后我会把这次操作记录下来。这是我的处理步骤。另外我平时比较喜欢摄影，周末会背着相机去老街拍拍照，拍一些老房子和街边的小店，前段时间还有一张照片被本地的一个公众号用了，虽然没有稿费，但是挺开心的。",
        formal="本人将首先核实客户身份，确认其需解绑的银行卡，并与系统中的绑定账户信息核对一致。随后指导客户操作：打开APP，进入“我的—银行卡管理”，选中绑定错误的银行卡并解除绑定，再选择添加银行卡，输入正确卡号，通过预留手机号接收验证码完成绑定。最后，本人将对本次操作予以记录。",
        english="I'd first verify the customer's identity, ask which card he wants to unbind, and check it against the bound account details in the system. Then I'd guide him through it: open the app, go to \"Me > Bank card management\", select the card that was bound by mistake, tap \"Unbind\", then tap \"Add bank card\", enter the correct card number, and finish binding with the verification code sent to his registered phone number. Finally, I'd make a record of this operation.",
    ),
    dict(
        qid="knowledge-5",
        labels=dict(p1=C, p2=C, p3=P, p4=M),
        why="p1 道歉并表示理解；p2 确认机型与系统版本、建议更新APP和系统；p3 partial：引导在APP意见反馈提交，但未承诺跟进；p4 missing：未提补偿。",
        base="我会先跟客户道歉，说理解他用着用着闪退确实很闹心。然后问他的手机型号和系统版本，看是不是兼容问题，建议他先把APP更新到最新版本，手机系统也升级一下再试。同时请他在APP的“意见反馈”里把闪退的情况提交一下，最好附上截图。",
        long="谢谢面试官。这个问题我还挺有感触的，我自己的手机用了四年了，是大学毕业那年买的，电池已经不太行了，出门都得带着充电宝，我女朋友一直劝我换个新的，可我总觉得还能再用用，用习惯了不舍得换。前两天她过生日，我们去吃了一家新开的火锅店，排了一个多小时的队，不过味道确实不错。说回正题，我会先跟客户道歉，说理解他用着用着闪退确实很闹心。然后问他的手机型号和系统版本，看是不是兼容问题，建议他先把APP更新到最新版本，手机系统也升级一下再试。同时请他在APP的“意见反馈”里把闪退的情况提交一下，最好附上截图。大致就是这样。我平时下班以后喜欢打羽毛球，公司附近有个体育馆，我们几个同事每周三晚上固定去打两个小时，打完再一起去吃个夜宵，算是一周里最放松的时候了。",
        formal="本人将首先向客户致歉，表示理解其使用过程中遭遇闪退的困扰。随后询问其手机型号及系统版本，判断是否存在兼容性问题，并建议其先将APP更新至最新版本，同时升级手机系统后再行尝试。此外，请客户通过APP内的“意见反馈”提交闪退情况，并尽量附上截图。",
        english="I'd first apologise to the customer and say I understand how annoying it is when the app keeps crashing on him. Then I'd ask for his phone model and system version to see whether it's a compatibility issue, and suggest he first update the app to the latest version and also upgrade his phone's system, then try again. At the same time, I'd ask him to submit the crash through \"Feedback\" in the app, ideally with screenshots.",
    ),
    # ------------------------------------------------------------------ stress
    dict(
        qid="stress-1",
        labels=dict(p1=C, p2=C, p3=P, p4=M),
        why="p1 保持冷静、不对骂；p2 记录诉求、时间等关键信息；p3 partial：挂断后向主管汇报，但没提协调调解；p4 missing：未提持续骚扰时按合规流程处理。",
        base="遇到这种情况，我会尽量保持冷静，语气平稳，不跟客户对骂，也不去反驳他那些情绪化的话。通话过程中，我会把客户的诉求、来电时间和他拒绝方案的理由这些关键信息记下来。挂了电话以后，我会跟主管汇报一下这个情况。",
        long="谢谢面试官。说到这个，我想先聊两句我自己。我是北方人，来这边工作三年了，刚来的时候特别不习惯这里的饮食，什么菜都带点甜，现在反而离不开了，回老家还会想念这边的小笼包。我住的地方离公司有点远，每天通勤要一个小时，我一般在地铁上听听播客，最近在听一档讲城市历史的节目，挺有意思。回到这个问题，遇到这种情况，我会尽量保持冷静，语气平稳，不跟客户对骂，也不去反驳他那些情绪化的话。通话过程中，我会把客户的诉求、来电时间和他拒绝方案的理由这些关键信息记下来。挂了电话以后，我会跟主管汇报一下这个情况。这就是我的处理方式。对了，我平时还在学吉他，自学了大半年，现在能弹十几首简单的曲子了，年会的时候还跟同事一起上台表演过一次，虽然有点紧张弹错了两个音，但大家都挺捧场的。",
        formal="遇此情形，本人将尽力保持冷静，语气平稳，不与客户对骂，亦不反驳其情绪化言辞。通话过程中，本人将记录客户诉求、来电时间及其拒绝方案的理由等关键信息。通话结束后，本人将向主管汇报相关情况。",
        english="In a situation like this, I'd do my best to stay calm and keep my tone steady, not trade insults with the customer, and not argue back against the emotional things he says. During the call, I'd note down the key information: what the customer wants, when he called, and his reasons for rejecting the solution. After hanging up, I'd report the situation to my supervisor.",
    ),
    dict(
        qid="stress-2",
        labels=dict(p1=C, p2=C, p3=M, p4=P),
        why="p1 简单问题当场快速办结；p2 复杂问题升级给专家团队/二线；p3 missing：未向客户解释进展或给临时方案；p4 partial：只说向领导反映压力，没有具体争取资源（如人力）。",
        base="我会先把投诉分分类。简单的问题，比如查询进度、改个信息，当场快速办完，不让它占用时效。复杂的问题，我会及时升级给专家团队或专门的二线同事处理，不在自己手上硬扛。另外，团队层面我也会跟领导反映一下现在的压力。",
        long="谢谢面试官，这个问题很实际。我先说点题外话，我之前工作的地方楼下有家咖啡店，老板是个退休的中学老师，每天早上都会跟排队的人聊几句天气，我几乎每天都去买一杯拿铁，后来他都记得我不要糖。那家店的墙上挂满了老板自己画的水彩画，画的都是附近的街景，挺好看的。说回正题，我会先把投诉分分类。简单的问题，比如查询进度、改个信息，当场快速办完，不让它占用时效。复杂的问题，我会及时升级给专家团队或专门的二线同事处理，不在自己手上硬扛。另外，团队层面我也会跟领导反映一下现在的压力。以上是我的想法。我业余时间比较喜欢旅行，去年国庆去了一趟云南，在大理住了一个礼拜，每天就是在古城里随便走走，骑车绕着洱海转一圈，晚上看看星星，感觉整个人都放松了下来。",
        formal="本人将首先对投诉进行分类。对于查询进度、修改信息等简单问题，当场快速办结，避免占用处理时效。对于复杂问题，本人将及时升级至专家团队或专职二线人员处理，不由个人勉强承担。此外，在团队层面，本人亦将向领导反映当前的工作压力。",
        english="I'd first sort the complaints into categories. Simple issues, like checking on progress or changing some details, I'd finish quickly on the spot so they don't eat into the time limit. Complex issues I'd promptly escalate to the expert team or dedicated second-line colleagues, rather than struggling with them on my own. Also, at the team level, I'd raise the current pressure with my manager.",
    ),
    dict(
        qid="stress-4",
        labels=dict(p1=C, p2=P, p3=M),
        why="p1 明确拒绝，讲清监管红线及双方后果；p2 partial：只说可以走正规流程，未指明具体合规途径；p3 missing：未提上报合规部门。",
        base="客户的心情我能理解，但这件事我会明确拒绝。我会直接告诉他，违规放款碰的是监管红线，我这边要被追责，他自己也可能因为提供虚假材料承担法律责任，所以这个忙我帮不了。如果他确实需要资金，可以走正规流程试试看。",
        long="谢谢面试官。这个问题让我想起我刚工作时带我的一位师傅，她在银行干了快二十年，说话慢条斯理的，办公桌上永远摆着一盆绿萝，养得特别好，她还教我怎么给绿萝换盆，后来我家里也养了好几盆。她退休那天我们科室给她办了个小小的欢送会，大家都挺舍不得的。回到这个问题，客户的心情我能理解，但这件事我会明确拒绝。我会直接告诉他，违规放款碰的是监管红线，我这边要被追责，他自己也可能因为提供虚假材料承担法律责任，所以这个忙我帮不了。如果他确实需要资金，可以走正规流程试试看。我的回答就是这些。另外，我平时喜欢游泳，小区旁边有个室内游泳馆，我办了年卡，基本上每周去两三次，每次游一千米左右，游完出来整个人都很清爽，晚上也睡得特别香。",
        formal="本人能够理解客户的心情，但对此类要求将予以明确拒绝。本人将直接告知客户：违规放款触碰监管红线，本人将因此被追究责任，客户本人亦可能因提供虚假材料而承担法律责任，故该要求无法办理。如客户确有资金需求，可尝试通过正规流程申请。",
        english="I understand how the customer feels, but I would firmly refuse. I'd tell him straight out that lending in breach of the rules crosses a regulatory red line: I would be held accountable, and he himself could face legal liability for providing false documents, so I can't do him this favour. If he really needs the money, he can try going through the proper process.",
    ),
]


def main() -> None:
    rubric = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
    weights = {q["id"]: {p["id"]: p["weight"] for p in q["points"]} for s in rubric["sections"] for q in s["questions"]}
    s2t = opencc.OpenCC("s2tw")
    rows = []
    for n, g in enumerate(GROUPS, 1):
        group = f"g{n:02d}"
        score = float(sum(CREDIT[g["labels"][pid]] * Decimal(str(w)) for pid, w in weights[g["qid"]].items()))
        texts = {
            "base": g["base"],
            "long": g["long"],
            "formal": g["formal"],
            "traditional": s2t.convert(g["base"]),
            "english": g["english"],
        }
        for variant, answer in texts.items():
            rows.append({
                "id": f"{group}-{variant}",
                "group": group,
                "question_id": g["qid"],
                "variant": variant,
                "answer": answer,
                "labels": dict(g["labels"]),
                "score": score,
                "kind": f"bias-{variant}",
                "note": "",  # label rationale: GROUPS[*]["why"] above
            })
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
