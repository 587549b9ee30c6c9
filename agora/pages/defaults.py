"""What the pages say until staff write their own (Markdown, in both of the site's languages)."""

from __future__ import annotations

DEFAULTS = {
    "guidelines": """\
## Community guidelines

Agora is a place to make, share and learn generative models and the works they produce.

1. **Be kind and assume good faith.** Critique the work, never the person.
2. **Share the recipe.** Say which model, data set, sampler and seed made a work; credit the
   works you remix and the people whose data you trained on.
3. **Label what is AI-made** and mark suggestive or mature works with the right content level.
4. **No harassment, hate, sexual content involving minors, or non-consensual imagery of real
   people.** Such posts are removed and their authors suspended.
5. **Respect licences and privacy.** Upload only what you have the right to share; never post
   someone's personal data.
6. **Flag, don't fight.** Use the flag button; moderators read every flag.

## 社区守则

Agora 是一起制作、分享和学习生成模型及其作品的地方。

1. **友善待人，先假设善意。** 评论作品，不评论个人。
2. **分享配方。** 写明模型、数据集、采样器和种子；注明你改编的作品和训练数据的来源。
3. **标明 AI 生成的内容**，并为暗示性或成人内容选择正确的内容分级。
4. **禁止骚扰、仇恨言论、涉及未成年人的性内容以及未经同意的真人图像。** \
此类内容会被删除，作者会被封禁。
5. **尊重许可与隐私。** 只上传你有权分享的内容；不要公开他人的个人信息。
6. **遇到问题请举报，不要争吵。** 使用举报按钮，版主会阅读每一条举报。
""",
    "privacy": """\
## Privacy

- We store what you give us: your account (name, e-mail address, password hash), what you post,
  upload and train, and your preferences. Images are re-encoded on upload, so GPS and camera
  data never reach the site.
- Private works, runs, models and messages are shown to you and to staff only.
- We use one session cookie and a language and time-zone cookie; no trackers, no advertising.
- You can download your checkpoints and works at any time, and ask staff to delete your account.

## 隐私

- 我们只保存你提供的信息：账号（名称、电子邮件地址、密码哈希）、你发布、\
上传和训练的内容以及偏好设置。图片在上传时重新编码，GPS 和相机信息不会保存。
- 私密的作品、训练、模型和私信只有你和管理员可以看到。
- 我们只使用会话 Cookie 以及语言和时区 Cookie；没有追踪器，没有广告。
- 你可以随时下载自己的检查点和作品，也可以请管理员删除你的账号。
""",
    "terms": """\
## Terms of use

- You keep the rights to what you post and license it under the licence you choose for it.
- You are responsible for what you upload and for following the community guidelines.
- Staff may hide or remove content that breaks the guidelines or the law, and suspend accounts
  that do so repeatedly.
- Lab computing time is shared: runs may be queued, cancelled when they exceed the limits, or
  removed after a period of inactivity.
- The service is provided as is, without warranty.

## 使用条款

- 你保留所发布内容的权利，并以你为其选择的许可授权。
- 你对自己上传的内容负责，并应遵守社区守则。
- 管理员可以隐藏或删除违反守则或法律的内容，并封禁屡次违规的账号。
- 实验室的计算时间是共享的：训练可能排队，超出限制时会被取消，长期不活跃的内容可能被清理。
- 本服务按“现状”提供，不作任何担保。
""",
}
